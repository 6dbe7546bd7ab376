import SyncCore

/// Reads PostgreSQL's ISO text output (`DateStyle=ISO`, which every session of this wrapper sets) for
/// `date`, `timestamp` and `timestamptz`, straight from UTF-8 bytes: a sync reads millions of these, and
/// a date formatter would dominate the profile.
enum PostgresDateTimeText {
    /// `2024-03-01`.
    static func date(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> LocalDate {
        try rejectSpecialValues(bytes)
        var reader = Reader(bytes: bytes)
        let (year, month, day) = try reader.datePart()
        try reader.expectEnd()
        return LocalDate(days: Int32(CivilTime.daysFromCivil(year: year, month: month, day: day)))
    }

    /// `2024-03-01 12:34:56[.ffffff]`.
    static func timestamp(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> LocalTimestamp {
        try rejectSpecialValues(bytes)
        var reader = Reader(bytes: bytes)
        let micros = try reader.dateTimePart()
        try reader.expectEnd()
        return LocalTimestamp(microseconds: micros)
    }

    /// `2024-03-01 12:34:56[.ffffff]+00`, also with offsets like `+05:30` or `-03:25:52` (historical zones
    /// have second offsets) when a session runs in another zone.
    static func timestamptz(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> UTCTimestamp {
        try rejectSpecialValues(bytes)
        var reader = Reader(bytes: bytes)
        let local = try reader.dateTimePart()
        let offsetSeconds = try reader.offset()
        try reader.expectEnd()
        return UTCTimestamp(microseconds: local - Int64(offsetSeconds) * 1_000_000)
    }

    private static func rejectSpecialValues(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) {
        guard let first = bytes.first else { throw PostgresTextFormatError("empty value") }
        if first == UInt8(ascii: "i") || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            throw PostgresTextFormatError("infinite dates and timestamps have no Swift value")
        }
        if bytes.count > 3, bytes[bytes.count - 3] == 0x20, bytes[bytes.count - 2] == UInt8(ascii: "B"),
            bytes[bytes.count - 1] == UInt8(ascii: "C")
        {
            throw PostgresTextFormatError("dates before the common era (BC) are not supported")
        }
        if !isDigit(first) {
            throw PostgresTextFormatError("not in ISO format (is the session's DateStyle ISO?)")
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func digits(min: Int, max: Int) throws(PostgresTextFormatError) -> Int {
            var value = 0
            let start = index
            while index < bytes.count, index - start < max, isDigit(bytes[index]) {
                value = value * 10 + Int(bytes[index] &- 0x30)
                index += 1
            }
            guard index - start >= min else { throw PostgresTextFormatError("not in ISO format") }
            return value
        }

        mutating func expect(_ ascii: Unicode.Scalar) throws(PostgresTextFormatError) {
            guard index < bytes.count, bytes[index] == UInt8(ascii: ascii) else {
                throw PostgresTextFormatError("not in ISO format (expected '\(ascii)')")
            }
            index += 1
        }

        func expectEnd() throws(PostgresTextFormatError) {
            guard index == bytes.count else { throw PostgresTextFormatError("unexpected text after the value") }
        }

        mutating func datePart() throws(PostgresTextFormatError) -> (Int, Int, Int) {
            // PostgreSQL prints at least four year digits and more after 9999.
            let year = try digits(min: 4, max: 7)
            try expect("-")
            let month = try digits(min: 2, max: 2)
            try expect("-")
            let day = try digits(min: 2, max: 2)
            guard (1...12).contains(month), (1...31).contains(day) else {
                throw PostgresTextFormatError("month or day out of range")
            }
            return (year, month, day)
        }

        /// Microseconds since 1970-01-01 00:00:00 on the value's own clock.
        mutating func dateTimePart() throws(PostgresTextFormatError) -> Int64 {
            let (year, month, day) = try datePart()
            guard index < bytes.count, bytes[index] == 0x20 || bytes[index] == UInt8(ascii: "T") else {
                throw PostgresTextFormatError("not in ISO format (expected a time)")
            }
            index += 1
            let hour = try digits(min: 2, max: 2)
            try expect(":")
            let minute = try digits(min: 2, max: 2)
            try expect(":")
            let second = try digits(min: 2, max: 2)
            guard hour <= 24, minute <= 59, second <= 60 else {
                throw PostgresTextFormatError("time out of range")
            }
            var micro = 0
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                let start = index
                micro = try digits(min: 1, max: 6)
                for _ in 0..<(6 - (index - start)) { micro *= 10 }
                // Never printed by the server (it keeps microseconds), but input could be longer: truncate.
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            let civil = CivilTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micro)
            return civil.microsecondsSinceEpoch
        }

        /// The UTC offset in seconds east of Greenwich.
        mutating func offset() throws(PostgresTextFormatError) -> Int {
            guard index < bytes.count else { throw PostgresTextFormatError("missing UTC offset") }
            let sign: Int
            switch bytes[index] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            case UInt8(ascii: "Z"):
                index += 1
                return 0
            default: throw PostgresTextFormatError("missing UTC offset")
            }
            index += 1
            var seconds = try digits(min: 2, max: 2) * 3600
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                index += 1
                seconds += try digits(min: 2, max: 2) * 60
                if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                    index += 1
                    seconds += try digits(min: 2, max: 2)
                }
            }
            return sign * seconds
        }
    }
}
