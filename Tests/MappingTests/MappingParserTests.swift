import Mapping
import SyncCore
import Testing

@Suite("Mapping files: parsing and static checks")
struct MappingParserTests {
    static let valid = """
        version: 1
        streams:
          - name: conversations
            target: conversation-metadata
            source:
              table: contact_center.conversations
              watermark: updated_at
              key: id
            batch_size: 500
            fields:
              externalConversationId: { column: external_id }
              lobId: { column: lob_code }
              platform:
                column: channel
                map:
                  Web Chat: WEB
                  sms: SMS
                default: null
              deviceType: { const: DESKTOP }
        """

    func diagnostics(_ text: String) -> [MappingDiagnostic] {
        do {
            _ = try MappingParser.parse(text, path: "test.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func validFileParses() throws {
        let file = try MappingParser.parse(Self.valid, path: "test.yaml")
        #expect(file.streams.count == 1)
        let stream = try #require(file.stream(named: "conversations"))
        #expect(stream.batchSize == 500)
        #expect(stream.delivery == .many)
        #expect(stream.source.relationSQL == "\"contact_center\".\"conversations\"")
        #expect(stream.fields.map(\.name) == ["externalConversationId", "lobId", "platform", "deviceType"])
        #expect(file.warnings.isEmpty)
    }

    @Test func misspeltFieldIsRefusedWithLineColumnAndSuggestion() {
        let text = Self.valid.replacingOccurrences(of: "externalConversationId: { column: external_id }",
                                                   with: "externalConversationId: { column: external_id }\n      externlConversationId: { column: other }")
        let found = diagnostics(text)
        let error = found.first { $0.code == "unknown-field" }
        #expect(error?.location.line == 12)
        #expect(error?.location.column == 7)
        #expect(error?.message.contains("externlConversationId") == true)
        #expect(error?.notes.first == "did you mean 'externalConversationId'?")
        #expect(error?.description.hasPrefix("test.yaml:12:7: error:") == true)
    }

    @Test func missingRequiredFieldIsAnError() {
        let text = Self.valid.replacingOccurrences(of: "      externalConversationId: { column: external_id }\n", with: "")
        let found = diagnostics(text)
        #expect(found.contains { $0.code == "missing-field" && $0.message.contains("externalConversationId") && $0.location.line == 11 })
    }

    @Test func mapEntryOutsideTheEnumIsAnError() {
        let text = Self.valid.replacingOccurrences(of: "sms: SMS", with: "sms: TEXT")
        let found = diagnostics(text)
        let error = found.first { $0.code == "invalid-value" }
        #expect(error?.location.line == 17)
        #expect(error?.message.contains("platform") == true)
    }

    @Test func constantOutsideTheEnumIsAnErrorWithSuggestion() {
        let text = Self.valid.replacingOccurrences(of: "const: DESKTOP", with: "const: DESKTP")
        let found = diagnostics(text)
        let error = found.first { $0.code == "invalid-value" }
        #expect(error?.location.line == 19)
        #expect(error?.notes.contains("did you mean 'DESKTOP'?") == true)
    }

    @Test func constantBreakingThePatternIsAnError() {
        let text = Self.valid.replacingOccurrences(of: "lobId: { column: lob_code }", with: "lobId: { const: \"has space\" }")
        #expect(diagnostics(text).contains { $0.code == "invalid-value" && $0.location.line == 12 })
    }

    @Test func platformHasNoOther() {
        let text = Self.valid.replacingOccurrences(of: "default: null", with: "default: OTHER")
        #expect(diagnostics(text).contains { $0.code == "invalid-value" && $0.location.line == 18 })
    }

    @Test func unknownKeysAreNamed() {
        let text = Self.valid.replacingOccurrences(of: "batch_size: 500", with: "batchsize: 500")
        let error = diagnostics(text).first { $0.code == "unknown-key" }
        #expect(error?.location.line == 9)
        #expect(error?.notes.first == "did you mean 'batch_size'?")
    }

    @Test func duplicateStreamNamesAreRefused() {
        let body = Self.valid.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
        let text = Self.valid + "\n" + body
        #expect(diagnostics(text).contains { $0.code == "duplicate-stream" && $0.location.line == 20 })
    }

    @Test func sourceNeedsExactlyOneRelationAndBothColumns() {
        let text = Self.valid.replacingOccurrences(of: "      key: id\n", with: "      query: SELECT 1\n")
        let found = diagnostics(text)
        #expect(found.contains { $0.code == "conflicting-keys" })
        #expect(found.contains { $0.code == "missing-key" && $0.message.contains("'key'") })
    }

    @Test func batchSizeOverTheAPILimitIsRefused() {
        let text = Self.valid.replacingOccurrences(of: "batch_size: 500", with: "batch_size: 1001")
        #expect(diagnostics(text).contains { $0.code == "invalid-batch-size" && $0.location.line == 9 })
    }

    @Test func yamlSyntaxErrorsHaveAPosition() {
        let found = diagnostics("version: 1\nstreams:\n  - name: [unclosed\n")
        #expect(found.first?.code == "yaml-syntax")
        #expect((found.first?.location.line ?? 0) >= 3)
    }

    @Test func unknownTimeZoneIsRefused() {
        let text = Self.valid.replacingOccurrences(of: "key: id", with: "key: id\n      timezone: Mars/Olympus")
        #expect(diagnostics(text).contains { $0.code == "unknown-timezone" })
    }

    @Test func readModeIsKeysetUnlessCursorIsAsked() throws {
        #expect(try MappingParser.parse(Self.valid, path: "test.yaml").streams[0].source.read == .keyset)
        let cursor = Self.valid.replacingOccurrences(of: "key: id", with: "key: id\n      read: cursor")
        #expect(try MappingParser.parse(cursor, path: "test.yaml").streams[0].source.read == .cursor)
        let wrong = Self.valid.replacingOccurrences(of: "key: id", with: "key: id\n      read: sideways")
        let error = diagnostics(wrong).first { $0.code == "invalid-read" }
        #expect(error?.location.line == 9)
        #expect(error?.message.contains("'sideways'") == true)
    }

    @Test func aMessagesSourceHasNoReadMode() throws {
        let text = """
            version: 1
            streams:
              - name: transcripts
                target: transcripts
                conversations:
                  source: { table: conversations, watermark: updated_at, key: id, read: cursor }
                  fields:
                    externalId: { column: external_id }
                    timestamp: { column: started_at }
                    customer.externalId: { column: customer_id }
                messages:
                  source: { table: messages, watermark: created_at, key: id, conversation: conversation_id, order: sent_at, read: cursor }
                  fields:
                    text: { column: body }
                    sender.role: { const: agent }
                    sender.externalId: { column: sender_id }
                    timestamp: { column: sent_at }
            """
        let found = diagnostics(text)
        #expect(found.filter { $0.severity == .error }.map(\.code) == ["unknown-key"])
        #expect(found.first { $0.code == "unknown-key" }?.location.line == 12)
    }

    @Test func everyErrorIsReportedNotOnlyTheFirst() {
        let text = Self.valid
            .replacingOccurrences(of: "sms: SMS", with: "sms: TEXT")
            .replacingOccurrences(of: "lobId:", with: "lobID:")
        let found = diagnostics(text)
        #expect(found.filter { $0.severity == .error }.count == 2)
    }
}
