import Mapping
import SyncCore
import Testing

@Suite("Expressions: templates, JSON paths, coalesce, when, attributes, event ids")
struct ExpressionTests {
    @Test func templateFillsPlaceholdersAndIsNullWhenOneIsNull() throws {
        let h = try MappingHarness(fields: #"      agentRoutingCode: { template: "{{ queue }}-{{region}}" }"# + "\n", extra: ["queue", "region"])
        #expect(try h.item([.string("retail"), .string("us-east")])?["agentRoutingCode"] == .string("retail-us-east"))
        #expect(try h.item([.string("retail"), .null])?["agentRoutingCode"] == nil)
        #expect(try h.item([.integer(7), .string("ü")])?["agentRoutingCode"] == nil, "ü breaks the id pattern: rejected")
        #expect(try h.rejection([.integer(7), .string("ü")])?.code == "contract")
    }

    @Test func coalesceTakesTheFirstValueThatIsNotNull() throws {
        let h = try MappingHarness(fields: """
                  agentRoutingCode:
                    coalesce:
                      - { template: "{{queue}}-{{region}}" }
                      - { column: queue }
                      - none
            """ + "\n", extra: ["queue", "region"])
        #expect(try h.item([.string("q"), .string("r")])?["agentRoutingCode"] == .string("q-r"))
        #expect(try h.item([.string("q"), .null])?["agentRoutingCode"] == .string("q"))
        #expect(try h.item([.null, .null])?["agentRoutingCode"] == .string("none"))
    }

    @Test func jsonPathExtraction() throws {
        let h = try MappingHarness(fields: """
                  lobName: { json: { column: doc, path: $.tier } }
                  groupName: { json: { column: doc, path: "$.address.city" } }
                  businessRule: { json: { column: doc, path: "$['odd key'][1]" } }
                  companySegment: { json: { column: doc, path: $.tags } }
                  entryType: { json: { column: doc, path: $.n } }
            """ + "\n", extra: ["doc"])
        let doc = #"{"tier": "gold", "address": {"city": "Kraków"}, "odd key": ["x", "ünï"], "tags": ["a", "b"], "n": 3}"#
        let item = try #require(try h.item([.json(doc)]))
        #expect(item["lobName"] == .string("gold"))
        #expect(item["groupName"] == .string("Kraków"))
        #expect(item["businessRule"] == .string("ünï"))
        #expect(item["companySegment"] == .array([.string("a"), .string("b")]))
        #expect(item["entryType"] == .string("3"))
        // Missing members, JSON null and SQL NULL all leave the field out.
        let sparse = try #require(try h.item([.json(#"{"tier": null}"#)]))
        #expect(sparse["lobName"] == nil && sparse["groupName"] == nil)
        #expect(try h.item([.null]) != nil)
        // Text that is not JSON is rejected, not guessed at.
        #expect(try h.rejection([.string("{not json")])?.code == "json")
        // An object where text is expected is most likely a wrong path: rejected, naming the field.
        let r = try #require(try h.rejection([.json(#"{"tier": {"level": 1}}"#)]))
        #expect(r.code == "conversion")
        #expect(r.field == "lobName")
    }

    @Test func whenPicksTheFirstClauseThatHolds() throws {
        let h = try MappingHarness(fields: """
                  platform:
                    when:
                      - { column: channel, equals: Voice, then: VOICE }
                      - { column: channel, in: [web, Web Chat], then: WEB }
                      - { column: channel, matches: "(?i)^sms", then: { const: SMS } }
                      - { column: device, is_null: true, then: APP }
                      - { column: device, not_equals: kiosk, then: { column: fallback } }
                    else: null
            """ + "\n", extra: ["channel", "device", "fallback"])
        func platform(_ channel: SourceValue, _ device: SourceValue = .string("kiosk"), _ fallback: SourceValue = .string("GBM")) throws -> JSONValue? {
            try h.item([channel, device, fallback])?["platform"]
        }
        #expect(try platform(.string("Voice")) == .string("VOICE"))
        #expect(try platform(.string("Web Chat")) == .string("WEB"))
        #expect(try platform(.string("SMS-2way")) == .string("SMS"))
        #expect(try platform(.string("fax"), .null) == .string("APP"))
        #expect(try platform(.string("fax"), .string("phone")) == .string("GBM"))
        #expect(try platform(.string("fax")) == nil)
        #expect(try platform(.null) == nil)
        // A clause's column value that is not in the enum is still caught before sending.
        #expect(try h.rejection([.string("fax"), .string("phone"), .string("OTHER")])?.code == "contract")
    }

    @Test func constantListsForListFields() throws {
        let h = try MappingHarness(fields: "      languages: { const: [en-US, es-MX] }\n", extra: [], target: "agent-metadata")
        #expect(try h.item([])?["languages"] == .array([.string("en-US"), .string("es-MX")]))
    }

    @Test func attributesFromNamedValuesAndAJSONObject() throws {
        let h = try MappingHarness(fields: """
                  attributes:
                    pairs:
                      queue: { column: queue }
                      tier: { json: { column: doc, path: $.tier } }
                    from_json: { column: doc }
            """ + "\n", extra: ["queue", "doc"])
        let item = try #require(try h.item([.string("retail"), .json(#"{"tier": "gold", "csat": 5, "gone": null, "tags": ["a"], "queue": "dup"}"#)]))
        let pairs = try #require(item["attributes"]?.arrayValue).map { ($0["name"]?.stringValue ?? "", $0["value"]?.stringValue ?? "") }
        // Named pairs first; the object's members after, skipping names already given and NULL values.
        #expect(pairs.map(\.0) == ["queue", "tier", "csat", "tags"])
        #expect(pairs.map(\.1) == ["retail", "gold", "5", #"["a"]"#])
        // Nothing to send: the field is left out rather than sent empty.
        #expect(try h.item([.null, .null])?["attributes"] == nil)
    }

    func twelve() -> SourceValue {
        .json("{" + (1...12).map { #""a\#($0)": "v\#($0)""# }.joined(separator: ", ") + "}")
    }

    @Test func moreThanTenAttributesAreRejectedByDefault() throws {
        let h = try MappingHarness(fields: "      attributes: { from_json: { column: doc } }\n", extra: ["doc"])
        let r = try #require(try h.rejection([twelve()]))
        #expect(r.code == "too-many-attributes")
        #expect(r.field == "attributes")
        #expect(r.message.contains("12"))
    }

    @Test func moreThanTenAttributesAreTruncatedWhenAsked() throws {
        let h = try MappingHarness(fields: "      attributes: { from_json: { column: doc }, overflow: truncate }\n", extra: ["doc"])
        let attributes = try #require(try h.item([twelve()])?["attributes"]?.arrayValue)
        #expect(attributes.count == 10)
        #expect(attributes.last?["name"] == .string("a10"))
    }

    @Test func attributeValuesAreTransformedAndStillChecked() throws {
        let long = SourceValue.json(#"{"note": ""# + String(repeating: "é", count: 1100) + #""}"#)
        let cut = try MappingHarness(fields: "      attributes: { from_json: { column: doc }, transform: [{ truncate: 1024 }] }\n", extra: ["doc"])
        #expect(try cut.item([long])?["attributes"]?.arrayValue?.first?["value"]?.stringValue?.utf16.count == 1024)
        // Lists and objects are JSON text before the steps see them.
        let nested = try #require(try cut.item([.json(#"{"tags": ["a", "ü"], "n": {"x": 1}, "b": true}"#)])?["attributes"]?.arrayValue)
        #expect(nested.map { $0["value"]?.stringValue } == [#"["a","ü"]"#, #"{"x":1}"#, "true"])
        let agent = try MappingHarness(fields: "      attributes: { pairs: { skills: { column: doc } }, transform: [upper] }\n", extra: ["doc"])
        #expect(try agent.item([.json("[]")])?["attributes"]?.arrayValue?.first?["value"] == .string("[]"))
        let plain = try MappingHarness(fields: "      attributes: { from_json: { column: doc } }\n", extra: ["doc"])
        #expect(try plain.rejection([long])?.code == "contract")
        #expect(try plain.rejection([.json("[1, 2]")])?.code == "attributes")
    }

    @Test func eventIdIsDeterministicByDefault() throws {
        let h = try MappingHarness(fields: "", extra: [])
        let a = try #require(try h.item([])?["eventId"])
        #expect(try h.item([])?["eventId"] == a)
        #expect(a.stringValue?.hasPrefix("s-1-") == true)
        #expect(EventID.make(stream: "s", key: "1", watermark: "w") == EventID.make(stream: "s", key: "1", watermark: "w"))
        #expect(EventID.make(stream: "s", key: "1", watermark: "w") != EventID.make(stream: "s", key: "1", watermark: "w2"))
        #expect(EventID.make(stream: "s", key: "a b/c", watermark: "w").utf8.allSatisfy { $0 == 0x2D || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) })
    }

    @Test("event ids keep their published form: the same row version gives the same id in every release")
    func eventIdsArePinned() {
        // FNV-1a 64 of "stream\0key\0watermark", computed independently of this code.
        #expect(EventID.make(stream: "s", key: "1", watermark: "w") == "s-1-faa6befc11c7b768")
        #expect(EventID.make(stream: "conversation-metadata", key: "a b/c", watermark: "2024-02-08T17:20:00.500000Z")
                == "conversation-metadata-k69f5280885cdde8c-d4a1ebfd6f3da876")
        #expect(EventID.make(stream: "my stream!", key: "42", watermark: "w") == "my_stream_-42-d53e94ccfb088bbb")
    }

    @Test func eventIdNoneSendsNone() throws {
        let h = try MappingHarness(fields: "      eventId: none\n", extra: [])
        let item = try #require(try h.item([]))
        #expect(item["eventId"] == nil)
    }

    @Test func eventIdCanBeMapped() throws {
        let h = try MappingHarness(fields: #"      eventId: { template: "evt-{{ v }}", transform: [{ replace: { pattern: "[^a-zA-Z0-9_-]", with: "" } }] }"# + "\n",
                                   extra: ["v"])
        #expect(try h.item([.string("2024-01-01 10:00")])?["eventId"] == .string("evt-2024-01-011000"))
    }

    @Test func environmentReferencesAreFilled() throws {
        let h = try MappingHarness(fields: #"      lobName: { const: "${LOB}" }"# + "\n      lobId: { const: \"${LOB_ID:-retail}\" }\n"
                                   + #"      groupName: { const: "$${literal}" }"# + "\n",
                                   extra: [], environment: ["LOB": "Retail Banking"])
        let item = try #require(try h.item([]))
        #expect(item["lobName"] == .string("Retail Banking"))
        #expect(item["lobId"] == .string("retail"))
        #expect(item["groupName"] == .string("${literal}"))
    }

    @Test func environmentReferencesWorkForNumbersAndNames() throws {
        let text = MappingHarness.file(fields: "      externalConversationId: { column: \"${ID_COLUMN}\" }")
            .replacingOccurrences(of: "    fields:", with: "    batch_size: ${BATCH}\n    fields:")
        let file = try MappingParser.parse(text, path: "e.yaml", environment: ["ID_COLUMN": "conversation_ref", "BATCH": "250"])
        #expect(file.streams[0].batchSize == 250)
        #expect(file.streams[0].fields[0].expression.columns.first?.name == "conversation_ref")
    }
}
