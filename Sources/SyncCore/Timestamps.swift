/// An instant, as microseconds since 1970-01-01T00:00:00Z (PostgreSQL's own resolution).
public struct UTCTimestamp: Sendable, Hashable, Comparable {
    /// Microseconds since the Unix epoch, negative before it.
    public var microseconds: Int64

    /// The instant `microseconds` after the Unix epoch.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (lhs: UTCTimestamp, rhs: UTCTimestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The instant written as the API wants it: `yyyy-MM-ddTHH:mm:ss.SSSZ` (milliseconds, UTC).
    public var iso8601: String { iso8601(fractionDigits: 3) }

    /// The instant as `yyyy-MM-ddTHH:mm:ss[.f…]Z` with 0, 3 or 6 fractional digits (truncated, not rounded,
    /// so a formatted instant never moves past the source value).
    public func iso8601(fractionDigits: Int) -> String {
        CivilTime(microseconds: microseconds).format(fractionDigits: fractionDigits, suffix: "Z", separator: "T")
    }
}

/// A wall-clock reading with no zone (`timestamp without time zone`), as microseconds since
/// 1970-01-01 00:00:00 of the same, unstated, zone.
public struct LocalTimestamp: Sendable, Hashable, Comparable {
    /// Microseconds since 1970-01-01 00:00:00 on the same wall clock.
    public var microseconds: Int64

    /// The reading `microseconds` after the local epoch.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (lhs: LocalTimestamp, rhs: LocalTimestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The reading as `yyyy-MM-dd HH:mm:ss.ffffff`, the form PostgreSQL parses back.
    public var sqlText: String {
        CivilTime(microseconds: microseconds).format(fractionDigits: 6, suffix: "", separator: " ")
    }
}

/// A calendar date, as days since 1970-01-01.
public struct LocalDate: Sendable, Hashable, Comparable {
    /// Days since 1970-01-01, negative before it.
    public var days: Int32

    /// The date `days` after 1970-01-01.
    public init(days: Int32) { self.days = days }

    /// The date of `year`-`month`-`day` in the proleptic Gregorian calendar.
    public init(year: Int, month: Int, day: Int) {
        self.days = Int32(CivilTime.daysFromCivil(year: year, month: month, day: day))
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool { lhs.days < rhs.days }

    /// The date as `yyyy-MM-dd`.
    public var iso8601: String {
        let (y, m, d) = CivilTime.civilFromDays(Int64(days))
        guard (0...9999).contains(y) else { return CivilTime.pad(y, 4) + "-" + CivilTime.pad(m, 2) + "-" + CivilTime.pad(d, 2) }
        return String(unsafeUninitializedCapacity: 10) { out in
            CivilTime.putDigits(y, width: 4, at: 0, in: out)
            out[4] = UInt8(ascii: "-")
            CivilTime.putDigits(m, width: 2, at: 5, in: out)
            out[7] = UInt8(ascii: "-")
            CivilTime.putDigits(d, width: 2, at: 8, in: out)
            return 10
        }
    }
}

/// Calendar arithmetic on microsecond counts, without Foundation (fast, and identical on every platform).
public struct CivilTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Microseconds within the second, 0 ..< 1_000_000.
    public var microsecond: Int

    /// The civil time `microseconds` after 1970-01-01 00:00:00.
    public init(microseconds: Int64) {
        var days = microseconds / 86_400_000_000
        var rest = microseconds % 86_400_000_000
        if rest < 0 {
            rest += 86_400_000_000
            days -= 1
        }
        let (y, m, d) = CivilTime.civilFromDays(days)
        year = y
        month = m
        day = d
        let secondsOfDay = Int(rest / 1_000_000)
        microsecond = Int(rest % 1_000_000)
        hour = secondsOfDay / 3600
        minute = (secondsOfDay % 3600) / 60
        second = secondsOfDay % 60
    }

    /// A civil time from its fields; no range checks beyond what the arithmetic needs.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
    }

    /// Microseconds since 1970-01-01 00:00:00 on the same clock.
    public var microsecondsSinceEpoch: Int64 {
        let days = Int64(CivilTime.daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000 + Int64(microsecond)
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `yyyy-MM-dd<separator>HH:mm:ss[.f…]<suffix>`, written digit by digit into one buffer: this runs for
    /// every timestamp of every row (watermarks, event ids, payloads), so it builds no intermediate strings.
    func format(fractionDigits: Int, suffix: String, separator: Character) -> String {
        guard (0...9999).contains(year), let separatorByte = separator.asciiValue, suffix.utf8.count <= 1 else {
            return slowFormat(fractionDigits: fractionDigits, suffix: suffix, separator: separator)
        }
        let digits = min(max(fractionDigits, 0), 6)
        let suffixByte = suffix.utf8.first
        let length = 19 + (digits > 0 ? digits + 1 : 0) + (suffixByte == nil ? 0 : 1)
        return String(unsafeUninitializedCapacity: length) { out in
            func put(_ value: Int, _ width: Int, at start: Int) { CivilTime.putDigits(value, width: width, at: start, in: out) }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            out[10] = separatorByte
            put(hour, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(minute, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(second, 2, at: 17)
            var end = 19
            if digits > 0 {
                var fraction = microsecond
                for _ in 0..<(6 - digits) { fraction /= 10 }
                out[19] = UInt8(ascii: ".")
                put(fraction, digits, at: 20)
                end = 20 + digits
            }
            if let suffixByte {
                out[end] = suffixByte
                end += 1
            }
            return end
        }
    }

    /// Writes the `width` last decimal digits of `value` (not negative) into `out` from `start`, zero-padded.
    static func putDigits(_ value: Int, width: Int, at start: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        var value = value
        var index = start + width - 1
        while index >= start {
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
            value /= 10
            index -= 1
        }
    }

    /// The general form, for years outside 0000...9999 and unusual separators.
    private func slowFormat(fractionDigits: Int, suffix: String, separator: Character) -> String {
        var out = CivilTime.pad(year, 4) + "-" + CivilTime.pad(month, 2) + "-" + CivilTime.pad(day, 2)
        out.append(separator)
        out += CivilTime.pad(hour, 2) + ":" + CivilTime.pad(minute, 2) + ":" + CivilTime.pad(second, 2)
        if fractionDigits > 0 {
            var fraction = microsecond
            for _ in 0..<(6 - min(fractionDigits, 6)) { fraction /= 10 }
            out += "." + CivilTime.pad(fraction, min(fractionDigits, 6))
        }
        return out + suffix
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return value < 0 ? "-" + padded : padded
    }
}
