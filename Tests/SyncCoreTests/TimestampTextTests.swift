import SyncCore
import Testing

@Suite("Timestamp text")
struct TimestampTextTests {
    /// The text of `micros` built from `CivilTime`'s fields with ordinary string formatting, as an
    /// independent reference for the digit-by-digit writer.
    private func reference(_ micros: Int64, digits: Int, separator: String, suffix: String) -> String {
        let t = CivilTime(microseconds: micros)
        func pad(_ v: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(v).count)) + String(v) }
        var text = "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))\(separator)\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
        if digits > 0 {
            var fraction = t.microsecond
            for _ in 0..<(6 - digits) { fraction /= 10 }
            text += "." + pad(fraction, digits)
        }
        return text + suffix
    }

    @Test("instants print as the API and PostgreSQL read them, truncated to the asked precision")
    func knownInstants() {
        let instant = UTCTimestamp(microseconds: 1_709_296_496_123_456) // 2024-03-01T12:34:56.123456Z
        #expect(instant.iso8601 == "2024-03-01T12:34:56.123Z")
        #expect(instant.iso8601(fractionDigits: 6) == "2024-03-01T12:34:56.123456Z")
        #expect(instant.iso8601(fractionDigits: 0) == "2024-03-01T12:34:56Z")
        #expect(UTCTimestamp(microseconds: 0).iso8601(fractionDigits: 6) == "1970-01-01T00:00:00.000000Z")
        #expect(UTCTimestamp(microseconds: -1).iso8601(fractionDigits: 6) == "1969-12-31T23:59:59.999999Z")
        #expect(UTCTimestamp(microseconds: 253_402_300_799_999_999).iso8601 == "9999-12-31T23:59:59.999Z")
        #expect(LocalTimestamp(microseconds: 1_709_296_496_500_000).sqlText == "2024-03-01 12:34:56.500000")
        #expect(LocalDate(year: 2024, month: 2, day: 29).iso8601 == "2024-02-29")
        #expect(LocalDate(year: 1, month: 1, day: 1).iso8601 == "0001-01-01")
    }

    @Test("years outside 0000-9999 still print, with their sign and all their digits")
    func outOfRangeYears() {
        let farFuture = UTCTimestamp(microseconds: CivilTime(year: 12345, month: 6, day: 7).microsecondsSinceEpoch)
        #expect(farFuture.iso8601(fractionDigits: 0) == "12345-06-07T00:00:00Z")
        let beforeYearZero = LocalDate(year: -44, month: 3, day: 15)
        #expect(beforeYearZero.iso8601 == "-0044-03-15")
    }

    @Test("the fast writer agrees with plain string formatting across centuries, leap days and fractions")
    func agreesWithReference() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // From 0001-01-01 to 9999-12-31.
            let value = Int64(bitPattern: state >> 1) % 315_537_897_600_000_000 - 62_135_596_800_000_000
            let digits = [0, 3, 6][Int(state % 3)]
            #expect(UTCTimestamp(microseconds: value).iso8601(fractionDigits: digits)
                    == reference(value, digits: digits, separator: "T", suffix: "Z"))
            #expect(LocalTimestamp(microseconds: value).sqlText == reference(value, digits: 6, separator: " ", suffix: ""))
        }
    }
}
