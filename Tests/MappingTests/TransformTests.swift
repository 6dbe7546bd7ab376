import Foundation
import Mapping
import SyncCore
import Testing

@Suite("Transform steps on edge values")
struct TransformTests {
    /// `businessRule` is free text of at most 256 UTF-16 units: a neutral field to watch a value in.
    func rule(_ steps: String, _ value: SourceValue, timezone: String? = nil) throws -> JSONValue? {
        let h = try MappingHarness(fields: "      businessRule: { column: v, transform: \(steps) }\n", extra: ["v"], timezone: timezone)
        return try #require(try h.item([value]))["businessRule"]
    }

    /// `companySegment` is a list of ids of at most 64 units each.
    func segments(_ steps: String, _ value: SourceValue) throws -> RowOutcome {
        let h = try MappingHarness(fields: "      companySegment: { column: v, transform: \(steps) }\n", extra: ["v"])
        return try h.map([value])
    }

    @Test("trim removes exactly what Foundation's whitespacesAndNewlines names, at both ends only")
    func trimMatchesFoundation() throws {
        let edges: [Unicode.Scalar] = ["\u{09}", "\u{0A}", "\u{0B}", "\u{0C}", "\u{0D}", " ", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}",
                                       "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
                                       // Not white space: must stay.
                                       "\u{200B}", "\u{FEFF}", "\u{180E}", "x", "é", "😀"]
        for edge in edges {
            for inner in ["a", "a b", "\u{2003}mid\u{2003}dle", "é", ""] {
                // The edge alone, and behind or before ASCII white space (which is cut without Foundation).
                for text in ["\(edge)\(edge)\(inner)\(edge)", " \(edge)\(inner)\t", "\n\(inner)\(edge) ", " \t\(inner)\r\n"] {
                    let expected = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    #expect(try rule("[trim]", .string(text)) == .string(expected), "U+\(String(edge.value, radix: 16)) in \(text.debugDescription)")
                }
            }
        }
    }

    @Test func trimUpperLower() throws {
        #expect(try rule("[trim]", .string("  a b \n\t")) == .string("a b"))
        #expect(try rule("[trim]", .string(" \u{00A0}\u{2003}")) == .string(""))
        #expect(try rule("[upper]", .string("straße é")) == .string("STRASSE É"))
        #expect(try rule("[lower]", .string("ÀÉ Ω")) == .string("àé ω"))
        #expect(try rule("[trim, upper]", .null) == nil)
        #expect(try rule("[upper]", .string("")) == .string(""))
        #expect(try rule("[upper]", .integer(42)) == .string("42"))
    }

    @Test func truncateCountsUTF16UnitsAndNeverSplitsASurrogatePair() throws {
        #expect(try rule("[{ truncate: 3 }]", .string("abcdef")) == .string("abc"))
        #expect(try rule("[{ truncate: 10 }]", .string("abc")) == .string("abc"))
        // 😀 is two UTF-16 units: three units hold one emoji and not half of the next.
        #expect(try rule("[{ truncate: 3 }]", .string("😀😀")) == .string("😀"))
        #expect(try rule("[{ truncate: 1 }]", .string("😀")) == .string(""))
        #expect(try rule("[{ truncate: 2 }]", .string("éé😀")) == .string("éé"))
        #expect(try rule("[{ truncate: 5 }]", .null) == nil)
        #expect(try rule("[{ truncate: 5 }]", .string("")) == .string(""))
        // Over the field's 256 units: cut to fit, so the row is sent instead of rejected.
        let long = String(repeating: "ü", count: 300)
        #expect(try rule("[{ truncate: 256 }]", .string(long)) == .string(String(repeating: "ü", count: 256)))
    }

    @Test func replaceByRegularExpression() throws {
        #expect(try rule(#"[{ replace: { pattern: "\\s+", with: "-" } }]"#, .string("BF  2024\tQ1")) == .string("BF-2024-Q1"))
        #expect(try rule(#"[{ replace: { pattern: "(\\w+)@(\\w+)", with: "$2/$1" } }]"#, .string("bob@host")) == .string("host/bob"))
        #expect(try rule(#"[{ replace: { pattern: "[^a-z]", with: "_" } }]"#, .string("retención😀")) == .string("retenci_n_"))
        #expect(try rule(#"[{ replace: { pattern: "x" } }]"#, .string("axbx")) == .string("ab"))
        #expect(try rule(#"[{ replace: { pattern: "x", with: "y" } }]"#, .null) == nil)
        #expect(try rule(#"[{ replace: { pattern: "^$", with: "empty" } }]"#, .string("")) == .string("empty"))
    }

    @Test func textStepsApplyToEachElementOfAList() throws {
        let outcome = try segments(#"[{ replace: { pattern: "\\s+", with: "-" } }, lower]"#, .stringArray(["Small Business", nil, "RETAIL"]))
        guard case .item(let item) = outcome else { Issue.record("expected an item, got \(outcome)"); return }
        #expect(item["companySegment"] == .array([.string("small-business"), .string("retail")]))
    }

    @Test func splitMakesAListAndJoinMakesText() throws {
        guard case .item(let item) = try segments(#"[{ split: "," }]"#, .string(" a, b ,,c ")) else { Issue.record("expected an item"); return }
        #expect(item["companySegment"] == .array([.string("a"), .string("b"), .string("c")]))
        guard case .item(let empty) = try segments(#"[{ split: "," }]"#, .string("")) else { Issue.record("expected an item"); return }
        #expect(empty["companySegment"] == .array([]))
        guard case .item(let none) = try segments(#"[{ split: "," }]"#, .null) else { Issue.record("expected an item"); return }
        #expect(none["companySegment"] == nil)
        #expect(try rule(#"[{ join: " | " }]"#, .stringArray(["a", nil, "ü"])) == .string("a | ü"))
        #expect(try rule(#"[{ join: "," }]"#, .string("single")) == .string("single"))
    }

    @Test func nullIfTurnsPlaceholdersIntoNull() throws {
        #expect(try rule(#"[trim, { null_if: ["", "n/a"] }]"#, .string(" n/a ")) == nil)
        #expect(try rule(#"[{ null_if: ["", "n/a"] }]"#, .string("")) == nil)
        #expect(try rule(#"[{ null_if: [0] }]"#, .integer(0)) == nil)
        #expect(try rule(#"[{ null_if: ["n/a"] }]"#, .string("N/A")) == .string("N/A"))
    }

    @Test func formatTimeInAZone() throws {
        // 2024-07-01T13:30:00.250Z is 09:30 in New York (EDT, UTC-4).
        let instant = SourceValue.timestamp(UTCTimestamp(microseconds: CivilTime(year: 2024, month: 7, day: 1, hour: 13, minute: 30, microsecond: 250_000).microsecondsSinceEpoch))
        #expect(try rule(#"[{ format_time: "yyyy-MM-dd HH:mm:ss.SSS XXX", zone: America/New_York }]"#, instant) == .string("2024-07-01 09:30:00.250 -04:00"))
        #expect(try rule(#"[{ format_time: "yyyy-MM-dd'T'HH:mmXXX" }]"#, instant) == .string("2024-07-01T13:30Z"))
        #expect(try rule(#"[{ format_time: "dd/MM/yyyy" }]"#, .date(LocalDate(year: 1969, month: 12, day: 31))) == .string("31/12/1969"))
        #expect(try rule(#"[{ format_time: "yyyy" }]"#, .null) == nil)
        // A wall-clock reading is placed in the source's zone first.
        let local = SourceValue.localTimestamp(LocalTimestamp(microseconds: CivilTime(year: 2024, month: 1, day: 15, hour: 8).microsecondsSinceEpoch))
        #expect(try rule(#"[{ format_time: "HH:mm XXX", zone: UTC }]"#, local, timezone: "Europe/Paris") == .string("07:00 Z"))
    }

    @Test func formatTimeOfTextIsRejectedNamingTheStep() throws {
        let h = try MappingHarness(fields: "      businessRule: { column: v, transform: [{ format_time: yyyy }] }\n", extra: ["v"])
        let r = try #require(try h.rejection([.string("2024")]))
        #expect(r.code == "transform")
        #expect(r.field == "businessRule")
        #expect(r.message.contains("format_time"))
    }

    @Test func parseTimeReadsTextInAZone() throws {
        let h = try MappingHarness(fields: #"      businessRule: { column: v, transform: [{ parse_time: "dd.MM.yyyy HH:mm", zone: Europe/Berlin }] }"# + "\n",
                                   extra: ["v"])
        // 10:00 in Berlin in winter (UTC+1) is 09:00Z.
        #expect(try h.item([.string("15.01.2024 10:00")])?["businessRule"] == .string("2024-01-15T09:00:00.000Z"))
        #expect(try h.rejection([.string("31.02.2024 10:00")])?.code == "transform")
        #expect(try h.rejection([.string("15.01.2024")])?.code == "transform")
        #expect(try h.item([.null])?["businessRule"] == nil)
        let offset = try MappingHarness(fields: #"      businessRule: { column: v, transform: [{ parse_time: "yyyy-MM-dd HH:mmXXX" }] }"# + "\n", extra: ["v"])
        #expect(try offset.item([.string("2024-01-15 10:00+05:30")])?["businessRule"] == .string("2024-01-15T04:30:00.000Z"))
    }

    @Test func stepsRunInOrderAndTheirOutputIsStillChecked() throws {
        // lower then map: `WEB CHAT` finds the lower-case entry.
        let h = try MappingHarness(fields: "      platform: { column: v, transform: [trim, lower], map: { web chat: WEB } }\n", extra: ["v"])
        #expect(try h.item([.string("  WEB CHAT ")])?["platform"] == .string("WEB"))
        // A replacement that still leaves a character outside the id pattern is caught before sending.
        let id = try MappingHarness(fields: #"      campaign: { column: v, transform: [{ replace: { pattern: " ", with: "-" } }] }"# + "\n", extra: ["v"])
        #expect(try id.item([.string("BF 2024")])?["campaign"] == .string("BF-2024"))
        let r = try #require(try id.rejection([.string("BF#2024")]))
        #expect(r.code == "contract")
        #expect(r.field == "campaign")
        // A step that makes a value too long for the field is caught too.
        let long = try MappingHarness(fields: #"      browserVersion: { column: v, transform: [{ replace: { pattern: "$", with: "-suffix-that-is-long" } }] }"# + "\n", extra: ["v"])
        #expect(try long.rejection([.string("120.0")])?.code == "contract")
    }

    @Test func emptyAfterTrimMeetsIfEmpty() throws {
        let h = try MappingHarness(fields: "      lobName: { column: v, transform: [trim], if_empty: skip }\n", extra: ["v"])
        guard case .skipped(let why) = try h.map([.string(" \n\t ")]) else { Issue.record("expected a skip"); return }
        #expect(why.field == "lobName")
    }

    @Test func aWallClockReadingInATextStepWithoutAZoneStopsTheStream() throws {
        let h = try MappingHarness(fields: "      businessRule: { column: v, transform: [upper] }\n", extra: ["v"])
        #expect(throws: MappingRuntimeError.self) { try h.map([.localTimestamp(LocalTimestamp(microseconds: 0))]) }
    }
}
