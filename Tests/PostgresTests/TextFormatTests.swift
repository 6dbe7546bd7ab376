import SyncCore
import Testing

@testable import Postgres

/// The text-format readers, without a server: each case is what PostgreSQL prints for some value.
@Suite("Text format parsing")
struct TextFormatTests {
    func parseArray(_ text: String) throws -> [String?] {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try PostgresArrayText.parse(UnsafeBufferPointer($0)) }
    }

    func timestamptz(_ text: String) throws -> UTCTimestamp {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { try PostgresDateTimeText.timestamptz($0) }
    }

    func timestamp(_ text: String) throws -> LocalTimestamp {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { try PostgresDateTimeText.timestamp($0) }
    }

    func date(_ text: String) throws -> LocalDate {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { try PostgresDateTimeText.date($0) }
    }

    func micros(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, _ us: Int = 0) -> Int64 {
        CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, microsecond: us).microsecondsSinceEpoch
    }

    @Test("arrays: quoting, escapes, NULL, blanks, unicode, bounds")
    func arrays() throws {
        #expect(try parseArray("{}") == [])
        #expect(try parseArray("{a,b}") == ["a", "b"])
        #expect(try parseArray(#"{"a,b","{x}","\"q\"","back\\slash",NULL,"NULL","",ünï🌍}"#)
            == ["a,b", "{x}", "\"q\"", "back\\slash", nil, "NULL", "", "ünï🌍"])
        #expect(try parseArray("{null,NuLl}") == [nil, nil])
        #expect(try parseArray(#"{" spaced "}"#) == [" spaced "])
        #expect(try parseArray("[0:1]={a,b}") == ["a", "b"])
        #expect(try parseArray("{1,2,3}") == ["1", "2", "3"])
    }

    @Test("arrays: malformed input is rejected")
    func malformedArrays() {
        #expect(throws: PostgresTextFormatError.self) { try parseArray("{{1,2},{3,4}}") }
        #expect(throws: PostgresTextFormatError.self) { try parseArray("{a,b") }
        #expect(throws: PostgresTextFormatError.self) { try parseArray(#"{"a}"#) }
        #expect(throws: PostgresTextFormatError.self) { try parseArray("a,b") }
        #expect(throws: PostgresTextFormatError.self) { try parseArray("{a}x") }
    }

    @Test("arrays: formatting reads back through the parser")
    func arrayRoundTrip() throws {
        let elements: [String?] = ["a,b", "{x}", "\"q\"", "back\\slash", nil, "NULL", "", " s ", "ünï🌍"]
        #expect(try parseArray(PostgresArrayText.format(elements)) == elements)
        #expect(PostgresArrayText.format([]) == "{}")
        #expect(PostgresArrayText.format(["a\"b", nil, "c\\", "é\"\\"]) == #"{"a\"b",NULL,"c\\","é\"\\"}"#)
    }

    @Test("timestamptz: fractions and offsets")
    func timestamptzValues() throws {
        #expect(try timestamptz("2024-03-01 12:34:56+00").microseconds == micros(2024, 3, 1, 12, 34, 56))
        #expect(try timestamptz("2024-03-01 12:34:56.123456+00").microseconds
            == micros(2024, 3, 1, 12, 34, 56, 123_456))
        #expect(try timestamptz("2024-03-01 12:34:56.5+00").microseconds == micros(2024, 3, 1, 12, 34, 56, 500_000))
        #expect(try timestamptz("2024-03-01 18:04:56.000001+05:30").microseconds
            == micros(2024, 3, 1, 12, 34, 56, 1))
        #expect(try timestamptz("2024-03-01 09:04:56-03:30").microseconds == micros(2024, 3, 1, 12, 34, 56))
        // Amsterdam's local mean time before 1892 was 19 minutes 32 seconds ahead of Greenwich.
        #expect(try timestamptz("1890-01-01 00:19:32+00:19:32").microseconds == micros(1890, 1, 1))
        #expect(try timestamptz("1969-12-31 23:59:59.999999+00").microseconds == -1)
        #expect(try timestamptz("12345-01-01 00:00:00+00").microseconds == micros(12345, 1, 1))
    }

    @Test("timestamps and dates: values and refusals")
    func localValues() throws {
        #expect(try timestamp("2024-03-01 12:34:56.5").microseconds == micros(2024, 3, 1, 12, 34, 56, 500_000))
        #expect(try timestamp("2000-02-29 00:00:00").microseconds == micros(2000, 2, 29))
        #expect(try date("2024-03-01") == LocalDate(year: 2024, month: 3, day: 1))
        #expect(try date("1900-01-01").days < 0)

        let infinite = #expect(throws: PostgresTextFormatError.self) { try timestamptz("infinity") }
        #expect(infinite?.reason.contains("infinite") == true)
        #expect(throws: PostgresTextFormatError.self) { try timestamp("-infinity") }
        let bc = #expect(throws: PostgresTextFormatError.self) { try date("0044-03-15 BC") }
        #expect(bc?.reason.contains("BC") == true)
        #expect(throws: PostgresTextFormatError.self) { try timestamptz("2024-03-01 12:34:56") }
        #expect(throws: PostgresTextFormatError.self) { try timestamp("03/01/2024 12:34:56") }
        #expect(throws: PostgresTextFormatError.self) { try date("2024-13-01") }
    }

    @Test("integers: range limits")
    func integers() throws {
        func int64(_ text: String) throws -> Int64 {
            try Array(text.utf8).withUnsafeBufferPointer { try PostgresNumberText.int64($0) }
        }
        #expect(try int64("-9223372036854775808") == .min)
        #expect(try int64("9223372036854775807") == .max)
        #expect(throws: PostgresTextFormatError.self) { try int64("9223372036854775808") }
        #expect(throws: PostgresTextFormatError.self) { try int64("12a") }
        #expect(throws: PostgresTextFormatError.self) { try int64("") }
    }
}
