import APIContract
import Foundation
import SyncCore

/// Why a value cannot become a field's JSON.
public struct ConversionProblem: Error, Sendable, Hashable {
    /// What was expected and what was found; never the value's full text.
    public var message: String
}

/// Turns source values into the JSON a field's contract asks for.
enum FieldConverter {
    static func convert(_ value: SourceValue, to spec: FieldSpec, zone: ZoneConverter?) -> Result<JSONValue, ConversionProblem> {
        if value.isNull { return .success(.null) }
        switch spec.type {
        case .string, .enumeration, .email:
            return text(value, zone: zone).map(JSONValue.string)
        case .stringArray:
            switch value {
            case .stringArray(let items): return .success(.array(items.compactMap { $0.map(JSONValue.string) }))
            case .json, .null: return .failure(ConversionProblem(message: "expected a list of text, found \(value.kindName)"))
            default: return text(value, zone: zone).map { .array([.string($0)]) }
            }
        case .integer:
            switch value {
            case .integer(let i): return .success(.int(i))
            case .decimal(let s), .string(let s):
                if let i = Int64(s.trimmingCharacters(in: .whitespaces)) { return .success(.int(i)) }
                if let i = integralDecimal(s) { return .success(.int(i)) }
                return .failure(ConversionProblem(message: "expected a whole number, found \(value.kindName) that is not one"))
            case .double(let d) where d.rounded() == d && abs(d) < 9.0e15:
                return .success(.int(Int64(d)))
            default:
                return .failure(ConversionProblem(message: "expected a whole number, found \(value.kindName)"))
            }
        case .dateTime:
            switch value {
            case .timestamp(let t): return .success(.string(t.iso8601))
            case .localTimestamp, .date: return text(value, zone: zone).map(JSONValue.string)
            case .string(let s): return .success(.string(s))
            default: return .failure(ConversionProblem(message: "expected a date-time, found \(value.kindName)"))
            }
        case .attributes, .object, .stringMap, .objectArray:
            return .failure(ConversionProblem(message: "this field cannot be mapped from a single column"))
        }
    }

    /// `12.000` → 12; anything with a non-zero fraction → nil.
    static func integralDecimal(_ s: String) -> Int64? {
        let parts = s.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[1].allSatisfy({ $0 == "0" }) else { return nil }
        return Int64(parts[0])
    }

    /// The value as text for a text field. Instants are written as the API's UTC form.
    static func text(_ value: SourceValue, zone: ZoneConverter?) -> Result<String, ConversionProblem> {
        switch value {
        case .string(let s), .decimal(let s): return .success(s)
        case .integer(let i): return .success(String(i))
        case .double(let d): return .success("\(d)")
        case .bool(let b): return .success(b ? "true" : "false")
        case .timestamp(let t): return .success(t.iso8601)
        case .localTimestamp(let t):
            guard let zone else {
                return .failure(ConversionProblem(message: "a 'timestamp without time zone' needs 'timezone' in the stream's 'source'"))
            }
            return .success(zone.instant(of: t).iso8601)
        case .date(let d):
            let midnight = LocalTimestamp(microseconds: Int64(d.days) * 86_400_000_000)
            return .success((zone?.instant(of: midnight) ?? UTCTimestamp(microseconds: midnight.microseconds)).iso8601)
        case .stringArray, .json:
            return .failure(ConversionProblem(message: "expected a single value, found \(value.kindName)"))
        case .null:
            return .failure(ConversionProblem(message: "expected a value, found null"))
        }
    }
}

/// Converts wall-clock readings of one zone to instants.
public struct ZoneConverter: Sendable {
    let zone: TimeZone

    /// A converter for the IANA zone `identifier`, or `nil` when the zone is unknown.
    public init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    /// A converter for `zone`.
    init(zone: TimeZone) { self.zone = zone }

    /// The instant the wall clock showed `local`. In a daylight-saving gap or overlap the reading is taken
    /// with the offset in force just before the change, as PostgreSQL's `AT TIME ZONE` does.
    public func instant(of local: LocalTimestamp) -> UTCTimestamp {
        let localSeconds = Double(local.microseconds) / 1_000_000
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: localSeconds))
        let guess = localSeconds - Double(first)
        let second = zone.secondsFromGMT(for: Date(timeIntervalSince1970: guess))
        let offset = Int64(second == first ? first : second)
        return UTCTimestamp(microseconds: local.microseconds - offset * 1_000_000)
    }
}
