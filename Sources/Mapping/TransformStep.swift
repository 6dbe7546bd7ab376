import APIContract
public import Foundation
import SyncCore

/// One step of a field's `transform:` list. Steps run in order on the value the field's source gives;
/// every step passes NULL through (only `null_if` makes new NULLs), and text steps applied to a list
/// (`text[]`, or the result of `split`) apply to each element.
public struct TransformStep: Sendable {
    /// What the step does.
    public enum Operation: Sendable {
        /// `trim`: removes leading and trailing white space (Unicode spaces and line breaks).
        case trim
        /// `upper`: upper case, the same in every locale.
        case upper
        /// `lower`: lower case, the same in every locale.
        case lower
        /// `{ truncate: N }`: at most N UTF-16 code units (the API's unit of length), never splitting a
        /// character made of a surrogate pair.
        case truncate(Int)
        /// `{ replace: { pattern: REGEX, with: TEXT } }`: every match replaced; `$1` in `with` is a group.
        case replace(TextPattern, with: String)
        /// `{ split: SEP }`: text becomes a list, items trimmed, empty items dropped.
        case split(String)
        /// `{ join: SEP }`: a list becomes one text.
        case join(String)
        /// `{ null_if: [v, …] }`: values whose text is one of these become NULL.
        case nullIf(Set<String>)
        /// `{ format_time: LAYOUT, zone: ZONE }`: an instant as text in a layout and zone (default UTC).
        case formatTime(TimeFormat, zone: TimeZone)
        /// `{ parse_time: LAYOUT, zone: ZONE }`: text read as a date-time; without an offset in the text,
        /// the reading is in `zone`, else the source's `timezone`, else UTC.
        case parseTime(TimeFormat, zone: TimeZone?)
    }

    /// What the step does.
    public var operation: Operation
    /// Where the step is written.
    public var location: SourceLocation

    /// A step doing `operation`, written at `location`.
    public init(_ operation: Operation, location: SourceLocation) {
        self.operation = operation
        self.location = location
    }

    /// The step's name in mapping files.
    public var name: String {
        switch operation {
        case .trim: "trim"
        case .upper: "upper"
        case .lower: "lower"
        case .truncate: "truncate"
        case .replace: "replace"
        case .split: "split"
        case .join: "join"
        case .nullIf: "null_if"
        case .formatTime: "format_time"
        case .parseTime: "parse_time"
        }
    }

    /// Every step name, for "did you mean" help.
    public static let names = ["trim", "upper", "lower", "truncate", "replace", "split", "join", "null_if", "format_time", "parse_time"]

    /// Steps written as a bare name; the others take an argument.
    static let bareNames: Set<String> = ["trim", "upper", "lower"]

    /// Whether the step always makes a list (`split`) or always a single value (`join`, times); `nil`
    /// when it keeps the shape it is given.
    var makesList: Bool? {
        switch operation {
        case .split: true
        case .join, .formatTime, .parseTime: false
        default: nil
        }
    }
}

/// Why a step cannot apply to a row's value.
struct StepFailure: Error, Sendable {
    /// What was expected; never the value itself.
    var message: String
    /// The mapping itself is at fault (a local timestamp with no zone stated): every row would fail.
    var stopsStream = false
}

extension TransformStep {
    /// The step applied to `value`; `zone` is the source's zone for wall-clock readings.
    func apply(_ value: SourceValue, zone: ZoneConverter?) -> Result<SourceValue, StepFailure> {
        if value.isNull { return .success(.null) }
        switch operation {
        case .trim: return mapText(value, zone, TransformStep.trim)
        case .upper: return mapText(value, zone) { $0.uppercased() }
        case .lower: return mapText(value, zone) { $0.lowercased() }
        case .truncate(let limit): return mapText(value, zone) { TransformStep.truncate($0, toUTF16: limit) }
        case .replace(let pattern, let template):
            return mapText(value, zone) { text in pattern.replacingMatches(in: text, with: template) }
        case .nullIf(let values):
            if case .stringArray(let items) = value {
                return .success(.stringArray(items.map { $0.flatMap { values.contains($0) ? nil : $0 } }))
            }
            return .success(value.sqlText.map(values.contains) == true ? .null : value)
        case .split(let separator):
            let parts: [String]
            switch value {
            case .stringArray(let items): parts = items.compactMap { $0 }
            default:
                switch FieldConverter.text(value, zone: zone) {
                case .success(let text): parts = [text]
                case .failure(let problem): return .failure(StepFailure(message: problem.message, stopsStream: TransformStep.needsZone(value, zone)))
                }
            }
            let items = parts.flatMap { $0.components(separatedBy: separator) }
                .map(TransformStep.trim)
                .filter { !$0.isEmpty }
            return .success(.stringArray(items))
        case .join(let separator):
            guard case .stringArray(let items) = value else { return .success(value) }
            return .success(.string(items.compactMap { $0 }.joined(separator: separator)))
        case .formatTime(let layout, let outputZone):
            switch value {
            case .timestamp(let instant): return .success(.string(layout.format(instant, in: outputZone)))
            case .localTimestamp(let local):
                guard let zone else {
                    return .failure(StepFailure(message: "format_time reads a 'timestamp without time zone'; state its zone with 'timezone' under 'source'",
                                                stopsStream: true))
                }
                return .success(.string(layout.format(zone.instant(of: local), in: outputZone)))
            case .date(let date):
                // A date has no zone: it is printed as the calendar day it is.
                return .success(.string(layout.format(CivilTime(microseconds: Int64(date.days) * 86_400_000_000), offsetSeconds: 0)))
            default:
                return .failure(StepFailure(message: "format_time needs a timestamp or date, found \(value.kindName); use parse_time first for text"))
            }
        case .parseTime(let layout, let stepZone):
            guard case .string(let text) = value else {
                if case .timestamp = value { return .success(value) }
                return .failure(StepFailure(message: "parse_time needs text, found \(value.kindName)"))
            }
            guard let (time, offset) = layout.parse(text) else {
                return .failure(StepFailure(message: "the text does not fit the layout '\(layout)' or is not a real date-time"))
            }
            if let offset {
                return .success(.timestamp(UTCTimestamp(microseconds: time.microsecondsSinceEpoch - Int64(offset) * 1_000_000)))
            }
            let local = LocalTimestamp(microseconds: time.microsecondsSinceEpoch)
            if let stepZone { return .success(.timestamp(ZoneConverter(zone: stepZone).instant(of: local))) }
            if let zone { return .success(.timestamp(zone.instant(of: local))) }
            return .success(.timestamp(UTCTimestamp(microseconds: local.microseconds)))
        }
    }

    /// A text function applied to a value, or to each element of a list.
    private func mapText(_ value: SourceValue, _ zone: ZoneConverter?, _ transform: (String) -> String) -> Result<SourceValue, StepFailure> {
        switch value {
        case .stringArray(let items): return .success(.stringArray(items.map { $0.map(transform) }))
        case .string(let text): return .success(.string(transform(text)))
        case .json(let text): return .success(.string(transform(text)))
        default:
            switch FieldConverter.text(value, zone: zone) {
            case .success(let text): return .success(.string(transform(text)))
            case .failure(let problem):
                return .failure(StepFailure(message: "\(name): \(problem.message)", stopsStream: TransformStep.needsZone(value, zone)))
            }
        }
    }

    private static func needsZone(_ value: SourceValue, _ zone: ZoneConverter?) -> Bool {
        if case .localTimestamp = value, zone == nil { return true }
        return false
    }

    /// `text` without leading and trailing white space, as Foundation's `.whitespacesAndNewlines` defines
    /// it. Text that starts and ends with a visible ASCII character, most text, has none to remove and is
    /// returned as it is. ASCII white space (tab, line feed, vertical tab, form feed, carriage return,
    /// space) up to an ASCII character that is not white space is cut without a call into Foundation, which
    /// took several microseconds a value; only text whose white space meets a non-ASCII character (which may
    /// itself be white space, such as U+00A0) goes to Foundation.
    static func trim(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return text }
        func isASCIISpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        var start = utf8.startIndex
        while start != utf8.endIndex, isASCIISpace(utf8[start]) { start = utf8.index(after: start) }
        guard start != utf8.endIndex else { return "" }
        var end = utf8.endIndex
        while isASCIISpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard utf8[start] < 0x80, utf8[utf8.index(before: end)] < 0x80 else { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        return String(text[start..<end])
    }

    /// The longest prefix of `text` of at most `limit` UTF-16 code units that ends on a Unicode scalar
    /// boundary, so a surrogate pair is never cut in half.
    static func truncate(_ text: String, toUTF16 limit: Int) -> String {
        if text.utf16.count <= limit { return text }
        var units = 0
        var end = text.unicodeScalars.startIndex
        for index in text.unicodeScalars.indices {
            let width = text.unicodeScalars[index].utf16.count
            if units + width > limit { break }
            units += width
            end = text.unicodeScalars.index(after: index)
        }
        return String(text.unicodeScalars[..<end])
    }
}
