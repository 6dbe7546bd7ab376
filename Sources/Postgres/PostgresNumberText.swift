/// Integer and floating-point text as PostgreSQL prints it, read from UTF-8 bytes.
enum PostgresNumberText {
    static func int64(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> Int64 {
        var i = 0
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < bytes.count else { throw PostgresTextFormatError("not an integer") }
        // Accumulate negatively so Int64.min, which has no positive counterpart, still parses.
        var value: Int64 = 0
        while i < bytes.count {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { throw PostgresTextFormatError("not an integer") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { throw PostgresTextFormatError("integer out of range") }
            value = next
            i += 1
        }
        if negative { return value }
        guard value != .min else { throw PostgresTextFormatError("integer out of range") }
        return -value
    }

    static func double(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> Double {
        // Swift's parser accepts "Infinity", "-Infinity" and "NaN", PostgreSQL's spellings.
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresTextFormatError("not a floating-point number")
        }
        return value
    }

    static func bool(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> Bool {
        guard bytes.count == 1 else { throw PostgresTextFormatError("not a boolean") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw PostgresTextFormatError("not a boolean")
        }
    }
}
