import Mapping
import Testing

@Suite("Static checks on crafted bad files: code, line and column")
struct StaticCheckTests {
    /// A file whose `fields` start at line 10 with `externalConversationId`, then `lines` from line 11.
    func file(_ lines: String) -> String {
        MappingHarness.file(fields: "      externalConversationId: { column: external_id }\n" + lines)
    }

    func first(_ code: String, in text: String, environment: [String: String] = [:]) -> MappingDiagnostic? {
        diagnostics(text, environment: environment).first { $0.code == code }
    }

    @Test func theHarnessFileIsValid() throws {
        _ = try MappingParser.parse(file(""), path: "test.yaml")
    }

    @Test func unknownTransformWithSuggestion() throws {
        let d = try #require(first("unknown-transform", in: file("      lobName: { column: x, transform: [trim, lowr] }\n")))
        #expect(d.severity == .error)
        #expect((d.location.line, d.location.column) == (11, 47))
        #expect(d.notes.first == "did you mean 'lower'?")
        #expect(d.description.hasPrefix("test.yaml:11:47: error: unknown transform 'lowr'"))
        let keyed = try #require(first("unknown-transform", in: file("      lobName:\n        column: x\n        transform:\n          - { trunacte: 5 }\n")))
        #expect((keyed.location.line, keyed.location.column) == (14, 15))
        #expect(keyed.notes.first == "did you mean 'truncate'?")
    }

    @Test func stepArgumentsAreChecked() {
        #expect(first("missing-argument", in: file("      lobName: { column: x, transform: [truncate] }\n"))?.location.line == 11)
        #expect(first("invalid-value", in: file("      lobName: { column: x, transform: [{ truncate: 0 }] }\n"))?.location.column == 53)
        #expect(first("expected-integer", in: file("      lobName: { column: x, transform: [{ truncate: many }] }\n")) != nil)
        #expect(first("invalid-layout", in: file("      lobName: { column: x, transform: [{ format_time: \"yyyy-QQ\" }] }\n"))?.message.contains("'QQ'") == true)
        #expect(first("unknown-timezone", in: file("      lobName: { column: x, transform: [{ format_time: yyyy, zone: Mars/Base }] }\n")) != nil)
    }

    @Test func invalidRegularExpressionIsALoadTimeErrorAtThePattern() throws {
        let text = file("""
                  campaign:
                    column: campaign
                    transform:
                      - { replace: { pattern: "(BF", with: "-" } }
            """ + "\n")
        let d = try #require(first("invalid-regex", in: text))
        #expect((d.location.line, d.location.column) == (14, 35))
        #expect(d.message.contains("expected ')'"))
        let inWhen = file("      lobName:\n        when: [{ column: x, matches: \"[a-\", then: y }]\n")
        #expect(first("invalid-regex", in: inWhen)?.location.line == 12)
    }

    @Test func constantsAreCheckedAfterTheirSteps() throws {
        // Breaks the id pattern as written, but the step makes it fit: no error.
        #expect(first("invalid-value", in: file(#"      campaign: { const: "BF 2024", transform: [{ replace: { pattern: " ", with: "-" } }] }"# + "\n")) == nil)
        let d = try #require(first("invalid-value", in: file("      campaign: { const: \"BF 2024\" }\n")))
        #expect((d.location.line, d.location.column) == (11, 26))
        #expect(d.message.contains("campaign"))
        // Too long for browserVersion's 16 units.
        #expect(first("invalid-value", in: file("      browserVersion: { const: \"120.0.6099.129.1234\" }\n"))?.message.contains("16") == true)
        #expect(first("invalid-value", in: file("      browserVersion: { const: \"120.0.6099.129.1234\", transform: [{ truncate: 16 }] }\n")) == nil)
        // Constants in `when`, `else` and `coalesce` too.
        let when = file("      deviceType:\n        when: [{ column: d, equals: m, then: PHONE }]\n        else: TELEPHONE\n")
        let e = try #require(first("invalid-value", in: when))
        #expect((e.location.line, e.location.column) == (13, 15))
        #expect(e.notes.contains("allowed values: TABLET, PHONE, DESKTOP, WATCH, OTHER"))
        #expect(first("invalid-value", in: file("      deviceType: { coalesce: [{ column: d }, DESKTP] }\n"))?.notes.first == "did you mean 'DESKTOP'?")
    }

    @Test func templateTextOutsideThePattern() {
        let d = first("invalid-value", in: file(#"      agentRoutingCode: { template: "{{queue}} / {{region}}" }"# + "\n"))
        #expect(d?.location.line == 11)
        #expect(d?.message.contains("' / '") == true)
        #expect(first("invalid-template", in: file(#"      lobName: { template: "{{queue" }"# + "\n"))?.location.column == 28)
    }

    @Test func invalidJSONPath() throws {
        let d = try #require(first("invalid-path", in: file("      lobName: { json: { column: doc, path: \"$.a[x]\" } }\n")))
        #expect((d.location.line, d.location.column) == (11, 45))
        #expect(d.message.contains("character 5"))
        #expect(first("missing-key", in: file("      lobName: { json: { column: doc } }\n"))?.message.contains("'path'") == true)
    }

    @Test func listIntoATextFieldIsATypeError() {
        let d = first("type-mismatch", in: file("      lobName: { column: x, transform: [{ split: \",\" }] }\n"))
        #expect(d?.location.line == 11)
        #expect(d?.message.contains("list of text") == true)
        #expect(first("type-mismatch", in: file("      lobName: { column: x, transform: [{ split: \",\" }, { join: \"-\" }] }\n")) == nil)
        #expect(first("type-mismatch", in: file("      companySegment: { column: x, transform: [{ split: \",\" }] }\n")) == nil)
    }

    @Test func moreThanTenNamedAttributes() throws {
        let pairs = (1...11).map { "          a\($0): { column: c\($0) }" }.joined(separator: "\n")
        let text = file("      attributes:\n        pairs:\n" + pairs + "\n")
        let d = try #require(first("too-many-attributes", in: text))
        #expect(d.severity == .error)
        #expect((d.location.line, d.location.column) == (23, 11))
        #expect(d.message.contains("11 attributes"))
        let truncated = file("      attributes:\n        overflow: truncate\n        pairs:\n" + pairs + "\n")
        #expect(first("too-many-attributes", in: truncated)?.severity == .warning)
        #expect(first("invalid-value", in: file("      attributes: { from_json: { column: a }, overflow: drop }\n"))?.location.column == 57)
    }

    @Test func attributesNeedASource() {
        #expect(first("missing-key", in: file("      attributes: { overflow: truncate }\n"))?.location.line == 11)
        #expect(first("unknown-key", in: file("      attributes: { column: a }\n"))?.location.column == 21)
    }

    @Test func whenClausesAreChecked() {
        #expect(first("missing-key", in: file("      lobName: { when: [{ column: x, then: y }] }\n"))?.message.contains("exactly one condition") == true)
        #expect(first("conflicting-keys", in: file("      lobName: { when: [{ column: x, equals: 1, in: [2], then: y }] }\n")) != nil)
        #expect(first("invalid-key", in: file("      lobName: { column: x, else: y }\n"))?.location.column == 29)
    }

    @Test func unknownTargetFieldAndMissingRequiredField() throws {
        let text = MappingHarness.file(fields: "      externlConversationId: { column: external_id }\n")
        let unknown = try #require(first("unknown-field", in: text))
        #expect((unknown.location.line, unknown.location.column) == (10, 7))
        #expect(unknown.notes.first == "did you mean 'externalConversationId'?")
        #expect(first("missing-field", in: text)?.message.contains("externalConversationId") == true)
    }

    @Test func duplicateStreamNames() {
        let one = MappingHarness.file(fields: "      externalConversationId: { column: external_id }")
        let body = one.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
        let d = first("duplicate-stream", in: one + "\n" + body)
        #expect(d?.location.line == 11)
        #expect(d?.location.column == 11)
    }

    @Test func unsetEnvironmentVariableIsAnErrorNamingIt() throws {
        let text = file("      lobName: { const: \"${LOB_NAME}\" }\n")
        let d = try #require(first("unset-variable", in: text))
        #expect((d.location.line, d.location.column) == (11, 25))
        #expect(d.message.contains("'LOB_NAME'"))
        #expect(first("unset-variable", in: text, environment: ["LOB_NAME": "Retail"]) == nil)
        #expect(first("invalid-reference", in: file("      lobName: { const: \"${1X}\" }\n")) != nil)
        #expect(first("invalid-reference", in: file("      lobName: { const: \"${OPEN\" }\n")) != nil)
    }

    @Test func inlineSecretsGetAWarningThatNeverQuotesThem() throws {
        let password = "SELECT * FROM dblink('host=db password=hunter2', 'SELECT 1') AS t(id int, updated_at timestamptz)"
        let text = MappingHarness.file(fields: "      externalConversationId: { column: external_id }")
            .replacingOccurrences(of: "table: t", with: "query: \"\(password)\"")
        let d = try #require(first("inline-secret", in: text))
        #expect(d.severity == .warning)
        #expect((d.location.line, d.location.column) == (6, 14))
        #expect(d.message.contains("password="))
        #expect(!d.description.contains("hunter2"))
        // The file is still usable: a warning, not an error.
        _ = try MappingParser.parse(text, path: "test.yaml")

        let token = file("      lobName: { const: \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\" }\n")
        let t = try #require(first("inline-secret", in: token))
        #expect(t.location.line == 11)
        #expect(!t.description.contains("4eC39HqLyjWDarjtT1zdp7dc"))
        // From the environment it is not written inline: no warning.
        #expect(first("inline-secret", in: file("      lobName: { const: \"${API_TOKEN}\" }\n"), environment: ["API_TOKEN": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"]) == nil)
        // Ordinary identifiers are not secrets.
        #expect(first("inline-secret", in: file("      campaign: { const: spring_promo_2024_card_upgrade_q2 }\n")) == nil)
    }

    @Test func secretLookingNamesGetAWarning() throws {
        let attribute = file("      attributes:\n        pairs:\n          api_secret: { column: s }\n")
        let a = try #require(first("secret-attribute", in: attribute))
        #expect((a.location.line, a.location.column) == (13, 11))
        let eventId = file("      eventId: { column: api_secret }\n")
        let e = try #require(first("secret-column", in: eventId))
        #expect(e.location.line == 11)
        #expect(e.message.contains("eventId"))
    }

    @Test func eventIdAcceptsOnlyNoneAsAWord() {
        #expect(first("invalid-value", in: file("      eventId: nothing\n"))?.location.column == 16)
        #expect(diagnostics(file("      eventId: none\n")).isEmpty)
    }
}
