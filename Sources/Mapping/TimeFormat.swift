import Foundation
import SyncCore

/// A date-time layout such as `yyyy-MM-dd HH:mm`, for `format_time` and `parse_time`.
///
/// A small, fixed set of fields keeps layouts unambiguous and checkable when the file is loaded:
/// `yyyy` year, `MM` month, `dd` day, `HH` hour (00–23), `mm` minute, `ss` second, `SSS` milliseconds,
/// `SSSSSS` microseconds, `XXX` offset (`Z` or `+02:00`). Text in single quotes is literal (`'T'`,
/// `''` is a quote); any other non-letter character stands for itself.
public struct TimeFormat: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(String)
        case year, month, day, hour, minute, second, millisecond, microsecond, offset
    }

    /// Why a layout is not one, and where (a zero-based character offset).
    public struct SyntaxError: Error, Sendable, Hashable {
        /// What is wrong, naming the accepted fields.
        public var message: String
        /// Characters from the start of the layout to the problem.
        public var offset: Int
    }

    let tokens: [Token]
    /// The layout as written.
    public let description: String

    static let fields: [String: Token] = [
        "yyyy": .year, "MM": .month, "dd": .day, "HH": .hour, "mm": .minute, "ss": .second,
        "SSS": .millisecond, "SSSSSS": .microsecond, "XXX": .offset,
    ]

    /// Parses a layout; letters outside quotes must form one of the fields.
    public init(parsing text: String) throws(SyntaxError) {
        let chars = Array(text)
        var tokens: [Token] = []
        var literal = ""
        var i = 0
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = ""
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                if i + 1 < chars.count, chars[i + 1] == "'" {
                    literal.append("'")
                    i += 2
                    continue
                }
                guard let close = chars[(i + 1)...].firstIndex(of: "'") else {
                    throw SyntaxError(message: "unterminated quoted text", offset: i)
                }
                literal += String(chars[(i + 1)..<close])
                i = close + 1
            } else if c.isLetter {
                var j = i
                while j < chars.count, chars[j] == c { j += 1 }
                let run = String(chars[i..<j])
                guard let token = TimeFormat.fields[run] else {
                    throw SyntaxError(message: "'\(run)' is not a date-time field; use yyyy, MM, dd, HH, mm, ss, SSS, SSSSSS, XXX, and quote literal letters ('T')",
                                      offset: i)
                }
                flush()
                tokens.append(token)
                i = j
            } else {
                literal.append(c)
                i += 1
            }
        }
        flush()
        guard !tokens.isEmpty else { throw SyntaxError(message: "the layout is empty", offset: 0) }
        self.tokens = tokens
        self.description = text
    }

    /// `instant` as wall-clock text in `zone`.
    func format(_ instant: UTCTimestamp, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant.microseconds) / 1_000_000))
        return format(CivilTime(microseconds: instant.microseconds + Int64(offset) * 1_000_000), offsetSeconds: offset)
    }

    /// A wall-clock reading as text; `offsetSeconds` is what `XXX` prints.
    func format(_ time: CivilTime, offsetSeconds: Int) -> String {
        var out = ""
        for token in tokens {
            switch token {
            case .literal(let text): out += text
            case .year: out += TimeFormat.pad(time.year, 4)
            case .month: out += TimeFormat.pad(time.month, 2)
            case .day: out += TimeFormat.pad(time.day, 2)
            case .hour: out += TimeFormat.pad(time.hour, 2)
            case .minute: out += TimeFormat.pad(time.minute, 2)
            case .second: out += TimeFormat.pad(time.second, 2)
            case .millisecond: out += TimeFormat.pad(time.microsecond / 1000, 3)
            case .microsecond: out += TimeFormat.pad(time.microsecond, 6)
            case .offset:
                if offsetSeconds == 0 {
                    out += "Z"
                } else {
                    let minutes = abs(offsetSeconds) / 60
                    out += (offsetSeconds < 0 ? "-" : "+") + TimeFormat.pad(minutes / 60, 2) + ":" + TimeFormat.pad(minutes % 60, 2)
                }
            }
        }
        return out
    }

    /// `value` with leading zeros to `width` digits.
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Reads `text` laid out as this format: the wall-clock reading and, when the layout has `XXX`, the
    /// offset in seconds; `nil` when the text does not fit the layout or names an impossible date.
    func parse(_ text: String) -> (time: CivilTime, offsetSeconds: Int?)? {
        let chars = Array(text)
        var i = 0
        var fields = CivilTime(year: 1970, month: 1, day: 1)
        var offset: Int?
        func number(_ width: Int) -> Int? {
            guard i + width <= chars.count else { return nil }
            var value = 0
            for c in chars[i..<(i + width)] {
                guard let digit = c.wholeNumberValue, c.isASCII else { return nil }
                value = value * 10 + digit
            }
            i += width
            return value
        }
        for token in tokens {
            switch token {
            case .literal(let literal):
                for c in literal {
                    guard i < chars.count, chars[i] == c else { return nil }
                    i += 1
                }
            case .year: guard let v = number(4) else { return nil }; fields.year = v
            case .month: guard let v = number(2) else { return nil }; fields.month = v
            case .day: guard let v = number(2) else { return nil }; fields.day = v
            case .hour: guard let v = number(2) else { return nil }; fields.hour = v
            case .minute: guard let v = number(2) else { return nil }; fields.minute = v
            case .second: guard let v = number(2) else { return nil }; fields.second = v
            case .millisecond: guard let v = number(3) else { return nil }; fields.microsecond = v * 1000
            case .microsecond: guard let v = number(6) else { return nil }; fields.microsecond = v
            case .offset:
                guard i < chars.count else { return nil }
                if chars[i] == "Z" {
                    i += 1
                    offset = 0
                } else {
                    guard chars[i] == "+" || chars[i] == "-" else { return nil }
                    let sign = chars[i] == "-" ? -1 : 1
                    i += 1
                    guard let h = number(2) else { return nil }
                    if i < chars.count, chars[i] == ":" { i += 1 }
                    guard let m = number(2), h <= 23, m <= 59 else { return nil }
                    offset = sign * (h * 3600 + m * 60)
                }
            }
        }
        guard i == chars.count else { return nil }
        let leap = fields.year % 4 == 0 && (fields.year % 100 != 0 || fields.year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard fields.year >= 1, (1...12).contains(fields.month), fields.day >= 1, fields.day <= monthDays[fields.month - 1],
              fields.hour <= 23, fields.minute <= 59, fields.second <= 59 else { return nil }
        return (fields, offset)
    }
}
