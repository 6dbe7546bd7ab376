import APIContract
import Mapping
import SyncCore
import Testing

@Suite("Row mapping: rows become checked items")
struct RowMapperTests {
    static let file = """
        version: 1
        streams:
          - name: conversations
            target: conversation-metadata
            source:
              table: conversations
              watermark: updated_at
              key: id
              timezone: America/New_York
            fields:
              externalConversationId: { column: external_id }
              lobName: { column: lob_name, default: unknown }
              platform:
                column: channel
                map: { Web Chat: WEB, sms: SMS, voice: VOICE }
              deviceType:
                column: device
                map: { Desktop: DESKTOP, mobile: PHONE }
                default: OTHER
              companySegment: { column: segments }
              businessRule: { column: opened_local }
        """

    let columns = SourceColumns(["id", "updated_at", "external_id", "lob_name", "channel", "device", "segments", "opened_local"])

    func mapper() throws -> RowMapper {
        let mapping = try MappingParser.parse(Self.file, path: "m.yaml")
        return try RowMapper(stream: mapping.streams[0], columns: columns)
    }

    func row(id: Int64 = 7, external: SourceValue = .string("conv-7"), lob: SourceValue = .null, channel: SourceValue = .string("Web Chat"),
             device: SourceValue = .string("mobile"), segments: SourceValue = .stringArray(["Sales", nil, "Retail"]),
             opened: SourceValue = .null) -> SourceRow {
        SourceRow(columns: columns, values: [.integer(id), .timestamp(UTCTimestamp(microseconds: 1_700_000_000_123_456)),
                                             external, lob, channel, device, segments, opened])
    }

    func item(_ outcome: RowOutcome) -> JSONObject? {
        if case .item(let encoded) = outcome { return encoded.object }
        return nil
    }

    func rejection(_ outcome: RowOutcome) -> RowRejection? {
        if case .rejected(let r) = outcome { return r }
        return nil
    }

    @Test func mapsColumnsMapsAndDefaults() throws {
        let object = try #require(item(try mapper().map(row())))
        #expect(object["externalConversationId"] == .string("conv-7"))
        #expect(object["lobName"] == .string("unknown"))
        #expect(object["platform"] == .string("WEB"))
        #expect(object["deviceType"] == .string("PHONE"))
        #expect(object["companySegment"] == .array([.string("Sales"), .string("Retail")]))
        #expect(object["businessRule"] == nil)
        #expect(object.keys.first == "eventId")
    }

    @Test func deterministicEventIDTracesTheRow() throws {
        let m = try mapper()
        let a = try #require(item(try m.map(row())))
        let b = try #require(item(try m.map(row())))
        #expect(a["eventId"] == b["eventId"])
        let id = try #require(a["eventId"]?.stringValue)
        #expect(id.hasPrefix("conversations-7-"))
        #expect(id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F })
        let changed = SourceRow(columns: columns, values: row().values.enumerated().map { $0.offset == 1 ? .timestamp(UTCTimestamp(microseconds: 1)) : $0.element })
        #expect(item(try m.map(changed))?["eventId"] != a["eventId"])
    }

    @Test func unmappedValueWithoutDefaultIsRejectedNamingTheField() throws {
        let r = try #require(rejection(try mapper().map(row(channel: .string("fax")))))
        #expect(r.code == "unmapped-value")
        #expect(r.field == "platform")
        #expect(r.message.contains("'fax'"))
    }

    @Test func unmappedValueWithDefaultUsesIt() throws {
        #expect(item(try mapper().map(row(device: .string("toaster"))))?["deviceType"] == .string("OTHER"))
    }

    @Test func nullInAMapWithoutDefaultLeavesTheFieldOut() throws {
        let object = try #require(item(try mapper().map(row(channel: .null))))
        #expect(object["platform"] == nil)
    }

    @Test func nullRequiredFieldIsRejected() throws {
        let r = try #require(rejection(try mapper().map(row(external: .null))))
        #expect(r.code == "missing-required")
        #expect(r.field == "externalConversationId")
    }

    @Test func valueBreakingThePatternIsNeverSent() throws {
        let r = try #require(rejection(try mapper().map(row(external: .string("conv 7#")))))
        #expect(r.code == "contract")
        #expect(r.field?.contains("externalConversationId") == true)
    }

    @Test func overLengthInUTF16UnitsIsRejected() throws {
        // 128 emoji are 128 characters but 256 UTF-16 units: allowed; one more is over the limit.
        let ok = String(repeating: "😀", count: 128)
        #expect(item(try mapper().map(row(lob: .string(ok)))) != nil)
        #expect(rejection(try mapper().map(row(lob: .string(ok + "a"))))?.code == "contract")
    }

    @Test func localTimestampIsConvertedWithTheStatedZone() throws {
        // 2024-07-01 09:30 in New York (EDT, UTC-4) is 13:30Z.
        let local = LocalTimestamp(microseconds: CivilTime(year: 2024, month: 7, day: 1, hour: 9, minute: 30).microsecondsSinceEpoch)
        let object = try #require(item(try mapper().map(row(opened: .localTimestamp(local)))))
        #expect(object["businessRule"] == .string("2024-07-01T13:30:00.000Z"))
    }

    @Test func localTimestampWithoutAZoneStopsTheStream() throws {
        let text = Self.file.replacingOccurrences(of: "      timezone: America/New_York\n", with: "")
        let mapping = try MappingParser.parse(text, path: "m.yaml")
        let m = try RowMapper(stream: mapping.streams[0], columns: columns)
        let local = LocalTimestamp(microseconds: 0)
        #expect(throws: MappingRuntimeError.self) { try m.map(row(opened: .localTimestamp(local))) }
    }

    @Test func missingColumnIsReportedAtItsLine() throws {
        let mapping = try MappingParser.parse(Self.file, path: "m.yaml")
        let fewer = SourceColumns(["id", "updated_at", "external_id", "lob_name", "chanel", "device", "segments", "opened_local"])
        do {
            _ = try RowMapper(stream: mapping.streams[0], columns: fewer)
            Issue.record("expected an error")
        } catch {
            #expect(error.location.line == 14)
            #expect(error.message.contains("did you mean 'chanel'"))
        }
    }

    @Test("a mapper that has seen a value before gives exactly what a fresh one gives, for items and rejects alike")
    func remembersResultsWithoutMixingThem() throws {
        let seasoned = try mapper()
        let channels: [SourceValue] = [.string("Web Chat"), .string("sms"), .string("fax"), .null, .string("voice")]
        let devices: [SourceValue] = [.string("mobile"), .string("Desktop"), .string("toaster"), .null]
        let segments: [SourceValue] = [.stringArray(["Sales", nil]), .stringArray(["a b#"]), .null, .string("Retail")]
        for i in 0..<3000 {
            // Repeating values, and from time to time a value never seen (and one too long to be kept).
            let lob: SourceValue = i % 7 == 0 ? .string("lob \(i)") : (i % 11 == 0 ? .string(String(repeating: "x", count: 300)) : .null)
            let r = row(id: Int64(i), external: i % 13 == 0 ? .string("bad id \(i)") : .string("conv-\(i)"), lob: lob,
                        channel: channels[i % channels.count], device: devices[i % devices.count], segments: segments[i % segments.count])
            let fresh = try mapper()
            switch (try seasoned.map(r), try fresh.map(r)) {
            case (.item(let a), .item(let b)): #expect(a == b, "row \(i)")
            case (.rejected(let a), .rejected(let b)): #expect(a == b, "row \(i)")
            case (.skipped(let a), .skipped(let b)): #expect(a == b, "row \(i)")
            case (let a, let b): Issue.record("row \(i): \(a) and \(b) differ")
            }
        }
    }

    @Test("two spellings of one text (composed and decomposed accents) are each mapped as themselves, whichever came first")
    func canonicallyEquivalentTextsAreNotMixedUp() throws {
        // `ó` as one scalar and as `o` with a combining accent: equal as Swift strings, different text.
        // Replacing what is not an id character sees one scalar in one and two in the other, and a cut
        // to 12 UTF-16 units lands elsewhere in each.
        let composed = "retenci\u{F3}n campa\u{F1}a"
        let decomposed = "retencio\u{301}n campan\u{303}a"
        #expect(composed == decomposed)
        let fields = """
                  campaign:
                    column: campaign
                    transform: [{ replace: { pattern: "[^a-zA-Z0-9_-]", with: "_" } }]
                  lobName:
                    column: lob
                    transform: [{ truncate: 12 }]
            """
        func item(_ text: String, from harness: MappingHarness) throws -> JSONObject {
            try #require(try harness.item([.string(text), .string(text)]))
        }
        func scalars(_ item: JSONObject, _ member: String) -> [Unicode.Scalar] { Array(item[member]?.stringValue?.unicodeScalars ?? "".unicodeScalars) }
        for order in [[composed, decomposed], [decomposed, composed]] {
            let seasoned = try MappingHarness(fields: fields, extra: ["campaign", "lob"])
            for text in order + order {
                let got = try item(text, from: seasoned)
                let expected = try item(text, from: try MappingHarness(fields: fields, extra: ["campaign", "lob"]))
                #expect(scalars(got, "campaign") == scalars(expected, "campaign"))
                #expect(scalars(got, "lobName") == scalars(expected, "lobName"))
            }
        }
        // What each spelling comes to (the replace steps' results are shared by every mapper of the process).
        let fresh = try MappingHarness(fields: fields, extra: ["campaign", "lob"])
        #expect(scalars(try item(composed, from: fresh), "campaign") == Array("retenci_n_campa_a".unicodeScalars))
        #expect(scalars(try item(decomposed, from: fresh), "campaign") == Array("retencio_n_campan_a".unicodeScalars))
        #expect(scalars(try item(decomposed, from: fresh), "lobName") == Array("retencio\u{301}n c".unicodeScalars))
    }

    @Test("a nested object is written and checked member by member exactly as the whole object's check would")
    func nestedObjectsAreWrittenAndCheckedAsAWhole() throws {
        let file = """
            version: 1
            streams:
              - name: transcripts
                target: transcripts
                conversations:
                  source: { table: conversations, watermark: updated_at, key: id }
                  fields:
                    externalId: { column: external_id }
                    timestamp: { column: started_at }
                    customer.externalId: { column: customer_id }
                messages:
                  source: { table: messages, watermark: created_at, key: id, conversation: conversation_id, order: sent_at }
                  fields:
                    text: { column: body }
                    # Not in the schema's order: violations still come in its order, members in this one.
                    sender.externalId: { column: sender_id, transform: [trim] }
                    sender.role: { column: sender_role, transform: [lower] }
                    timestamp: { column: sent_at }
            """
        let mapping = try MappingParser.parse(file, path: "m.yaml")
        let section = try #require(mapping.streams[0].messages).section
        let columns = SourceColumns(["id", "created_at", "conversation_id", "body", "sender_role", "sender_id", "sent_at"])
        let mapper = try RowMapper(section: section, streamName: "transcripts", columns: columns)
        let sent = SourceValue.timestamp(UTCTimestamp(microseconds: 1_700_000_000_000_000))
        let senderSpec = try #require(Schemas.message.field(named: "sender"))
        // role, externalId: good, missing, refused by the contract (an unmapped role is sent as it is), both
        // missing. The role is looked up in a table of recent results, the id trimmed through another.
        let cases: [(SourceValue, SourceValue)] = [(.string("AGENT"), .string("a-1")), (.string("CUSTOMER"), .null), (.string("Bot"), .string("a 1")),
                                                    (.string("Bot"), .null), (.null, .string("c-9")), (.null, .null), (.string("AGENT"), .string(""))]
        for (i, (role, sender)) in cases.enumerated() {
            for _ in 0..<3 {
                let row = SourceRow(columns: columns, values: [.integer(Int64(i)), sent, .integer(1), .string("hello"), role, sender, sent])
                // The sender object as the mapping makes it, and what the contract says of it as a whole.
                var object = JSONObject()
                if case .string(let s) = sender { object["externalId"] = .string(s) }
                if case .string(let r) = role { object["role"] = .string(r.lowercased()) }
                let whole = object.count == 0 ? [ContractViolation(path: "sender", code: APIErrorCode.missingField, message: "required field is missing")]
                    : ContractValidator.validateField(.object(object), spec: senderSpec, path: "sender")
                switch try mapper.map(row) {
                case .item(let item):
                    #expect(whole.isEmpty, "case \(i)")
                    let expected = #"{"text":"hello","sender":"# + JSONValue.object(object).jsonString + #","timestamp":"2023-11-14T22:13:20.000Z"}"#
                    #expect(item.text == expected, "case \(i)")
                case .rejected(let rejection):
                    #expect(rejection.message == whole.map { "\($0.path): \($0.message)" }.joined(separator: "; "), "case \(i)")
                    if i == 3 { #expect(whole.map(\.path) == ["sender.role", "sender.externalId"]) }
                    #expect(rejection.field == whole.first?.path, "case \(i)")
                case .skipped(let rejection):
                    Issue.record("case \(i) skipped: \(rejection)")
                }
            }
        }
    }

    @Test("arrays and objects kept as JSON text are written exactly as a fresh mapper writes them, and still checked")
    func remembersStructuredResultsAsText() throws {
        let file = """
            version: 1
            streams:
              - name: conversations
                target: conversation-metadata
                source: { table: conversations, watermark: updated_at, key: id }
                fields:
                  externalConversationId: { column: external_id }
                  companySegment: { column: segments, transform: [trim] }
                  attributes: { from_json: { column: attrs } }
            """
        let columns = SourceColumns(["id", "updated_at", "external_id", "segments", "attrs"])
        let mapping = try MappingParser.parse(file, path: "m.yaml")
        let seasoned = try RowMapper(stream: mapping.streams[0], columns: columns)
        let segments: [SourceValue] = [.stringArray([" Sales ", "Retail"]), .stringArray(["x y"]), .stringArray([String(repeating: "s", count: 65)]),
                                       .null, .stringArray([])]
        let attributes: [SourceValue] = [.json(#"{"tier": "gold", "score": 7}"#), .json(#"{"note": "line\nbreak \"quoted\""}"#),
                                         .json(#"{"k": null}"#), .null, .json(#"{"é": "ü"}"#),
                                         // Longer than a short code: kept too, within the table's weight.
                                         .json("{" + (0..<5).map { n in "\"long\(n)\": \"" + String(repeating: "v\(n)", count: 100) + "\"" }.joined(separator: ", ") + "}")]
        var items = 0, rejects = 0
        for i in 0..<2_000 {
            let r = SourceRow(columns: columns, values: [.integer(Int64(i)), .timestamp(UTCTimestamp(microseconds: 1_700_000_000_000_000 + Int64(i))),
                                                         .string("conv-\(i)"), segments[i % segments.count], attributes[(i / 3) % attributes.count]])
            let fresh = try RowMapper(stream: mapping.streams[0], columns: columns)
            switch (try seasoned.map(r), try fresh.map(r)) {
            case (.item(let a), .item(let b)):
                #expect(a.text == b.text, "row \(i)")
                items += 1
            case (.rejected(let a), .rejected(let b)):
                #expect(a == b, "row \(i)")
                rejects += 1
            case (let a, let b): Issue.record("row \(i): \(a) and \(b) differ")
            }
        }
        // The 65-character segment breaks the contract (and `x y` its pattern): those rows are refused every time.
        #expect(rejects == 800)
        #expect(items == 1_200)
    }
}

