import APIContract
import SyncCore
import Testing

@Suite("Contract validator")
struct ContractValidatorTests {
    private func json(_ text: String) -> JSONValue {
        do { return try JSONParser.parse(text) } catch { fatalError("bad test JSON: \(error)") }
    }

    private func violations(_ text: String, _ schema: ObjectSchema, path: String = "") -> [ContractViolation] {
        ContractValidator.validate(json(text), against: schema, path: path)
    }

    @Test("the vendor's first example item conforms")
    func vendorExample() {
        let item = """
        {"externalConversationId":"id-1389","eventId":"eventId-1388","lobId":"1038","lobName":"manufacturing",
         "groupId":"group59","groupName":"groupXYZ","agentRoutingCode":"route-13988","campaign":"campaign-A",
         "deviceType":"TABLET","platform":"IOS","companySegment":["Sales","Marketing"],
         "companySubdivision":"operating","businessRule":"Apply customer's discount","entryType":"reactive",
         "operatingSystem":"MAC_OS","browserType":"Safari","browserVersion":"14.1.2",
         "attributes":[{"name":"attr1_name","value":"attr1_value"},{"name":"attr2_name","value":"attr2_value"}]}
        """
        #expect(violations(item, Schemas.conversation).isEmpty)
    }

    @Test("the seed's misspelt externlConversationId is refused as unknown, and the real key as missing")
    func misspeltKey() {
        let found = violations(#"{"externlConversationId":"issue1390","platform":"ANDROID"}"#, Schemas.conversation, path: "items[1]")
        #expect(found.count == 2)
        #expect(found[0].path == "items[1].externlConversationId")
        #expect(found[0].code == "400-04")
        #expect(found[0].message.contains("did you mean externalConversationId?"))
        #expect(found[1].path == "items[1].externalConversationId")
        #expect(found[1].code == "400-02")
    }

    @Test("required fields must be present and not null; optional fields may be null")
    func requiredAndNullable() {
        #expect(violations(#"{"externalAgentId":"a1","lobName":null,"attributes":null}"#, Schemas.agent).isEmpty)
        let missing = violations(#"{}"#, Schemas.agent)
        #expect(missing.map(\.code) == ["400-02"])
        #expect(missing.first?.path == "externalAgentId")
        let null = violations(#"{"externalAgentId":null}"#, Schemas.agent)
        #expect(null.map(\.code) == ["400-02"])
    }

    @Test("the body itself must be an object; its path is $")
    func rootNotObject() {
        let found = violations("[1]", Schemas.agent)
        #expect(found.map(\.path) == ["$"])
        #expect(found.map(\.code) == ["400-05"])
        #expect(violations("[1]", Schemas.agent, path: "$").map(\.path) == ["$"])
    }

    @Test("patterns apply to the whole value")
    func patterns() {
        #expect(violations(#"{"externalAgentId":"agent-7_x"}"#, Schemas.agent).isEmpty)
        let bad = violations(#"{"externalAgentId":"agent 7"}"#, Schemas.agent)
        #expect(bad.map(\.code) == ["400-05"])
        #expect(!bad[0].message.contains("agent 7"))
        #expect(violations(#"{"externalAgentId":""}"#, Schemas.agent).map(\.code) == ["400-05"])
        #expect(violations(#"{"externalConversationId":"c","browserVersion":"103.0.5060.128"}"#, Schemas.conversation).isEmpty)
        #expect(violations(#"{"externalConversationId":"c","browserType":"Safari 14"}"#, Schemas.conversation).map(\.path) == ["browserType"])
        #expect(violations(#"{"externalConversationId":"c","externalCustomerId":"a.b@c","phoneNumber":"+1(555)123-4567"}"#, Schemas.customer).isEmpty)
        #expect(violations(#"{"externalAgentId":"a","languages":["en-us","fr"]}"#, Schemas.agent).isEmpty)
        #expect(violations(#"{"externalAgentId":"a","languages":["en-us","en_US"]}"#, Schemas.agent).map(\.path) == ["languages[1]"])
    }

    @Test("lengths count UTF-16 code units: an emoji counts 2")
    func utf16Lengths() {
        let ascii256 = String(repeating: "a", count: 256)
        let ascii257 = String(repeating: "a", count: 257)
        let emoji128 = String(repeating: "😀", count: 128)  // 256 UTF-16 units, 512 UTF-8 bytes
        let emoji129 = String(repeating: "😀", count: 129)  // 258 units
        let accented256 = String(repeating: "é", count: 256)  // 256 units, 512 bytes
        func lobName(_ value: String) -> String { #"{"externalConversationId":"c","lobName":"\#(value)"}"# }
        #expect(violations(lobName(ascii256), Schemas.conversation).isEmpty)
        #expect(violations(lobName(emoji128), Schemas.conversation).isEmpty)
        #expect(violations(lobName(accented256), Schemas.conversation).isEmpty)
        #expect(violations(lobName(ascii257), Schemas.conversation).map(\.path) == ["lobName"])
        let emoji = violations(lobName(emoji129), Schemas.conversation)
        #expect(emoji.map(\.code) == ["400-05"])
        #expect(emoji.first?.message.contains("258") == true)
        // browserVersion is limited to 16.
        #expect(violations(#"{"externalConversationId":"c","browserVersion":"1234567890123456"}"#, Schemas.conversation).isEmpty)
        #expect(!violations(#"{"externalConversationId":"c","browserVersion":"12345678901234567"}"#, Schemas.conversation).isEmpty)
        // companySegment items are limited to 64.
        let seg65 = String(repeating: "s", count: 65)
        #expect(violations(#"{"externalConversationId":"c","companySegment":["ok","\#(seg65)"]}"#, Schemas.conversation).map(\.path) == ["companySegment[1]"])
    }

    @Test("enumerations are exact and platform has no OTHER")
    func enumerations() {
        #expect(violations(#"{"externalConversationId":"c","platform":"WAB","deviceType":"OTHER","operatingSystem":"OTHER"}"#, Schemas.conversation).isEmpty)
        let other = violations(#"{"externalConversationId":"c","platform":"OTHER"}"#, Schemas.conversation, path: "items[2]")
        #expect(other.map(\.path) == ["items[2].platform"])
        #expect(other.first?.message.hasPrefix("value is not one of SMS, WEB") == true)
        #expect(violations(#"{"externalConversationId":"c","platform":"ios"}"#, Schemas.conversation).count == 1)
        #expect(violations(#"{"externalConversationId":"c","deviceType":3}"#, Schemas.conversation).map(\.code) == ["400-05"])
    }

    @Test("integers must be JSON integers")
    func integers() {
        #expect(violations(#"{"externalAgentId":"a","concurrency":3,"ranking":-1}"#, Schemas.agent).isEmpty)
        #expect(violations(#"{"externalAgentId":"a","concurrency":3.0}"#, Schemas.agent).map(\.path) == ["concurrency"])
        #expect(violations(#"{"externalAgentId":"a","ranking":"1"}"#, Schemas.agent).map(\.path) == ["ranking"])
    }

    @Test("e-mail addresses")
    func emails() {
        for good in ["a@b.co", "jane.doe+tag@mail.example.com", "ü@exämple.de", "A-1@X9.IO", "a@b-c.d-e", "jane@exämple.de", "o'brien@b.co"] {
            #expect(ContractValidator.isEmailAddress(good), "\(good)")
        }
        for bad in ["", "a", "a@", "@b.co", "a@b", "a@@b.co", "a b@c.de", "a@b..co", "a@.b.co", "a@b.co.", "a@b_c.com",
                    "a\t@b.co", "a@b\u{7F}.co", "a@b.c\u{0}o", "a@b.co\u{A0}", "a@b[c].co", "ü@b..de"] {
            #expect(!ContractValidator.isEmailAddress(bad), "\(bad)")
        }
        #expect(violations(#"{"externalAgentId":"a","emailAddress":"not-an-address"}"#, Schemas.agent).map(\.path) == ["emailAddress"])
    }

    @Test("attributes: 10 accepted, 11 refused, name ≤ 256 and value ≤ 1024, nothing else")
    func attributes() {
        func item(_ attributes: [String]) -> String {
            #"{"externalAgentId":"a","attributes":[\#(attributes.joined(separator: ","))]}"#
        }
        let ten = (0..<10).map { #"{"name":"n\#($0)","value":"v"}"# }
        let eleven = (0..<11).map { #"{"name":"n\#($0)","value":"v"}"# }
        #expect(violations(item(ten), Schemas.agent).isEmpty)
        let tooMany = violations(item(eleven), Schemas.agent)
        #expect(tooMany.map(\.code) == ["400-06"])
        #expect(tooMany.first?.path == "attributes")
        let longName = String(repeating: "n", count: 257)
        let value1024 = String(repeating: "v", count: 1024)
        let value1025 = String(repeating: "v", count: 1025)
        #expect(violations(item([#"{"name":"n","value":"\#(value1024)"}"#]), Schemas.agent).isEmpty)
        #expect(violations(item([#"{"name":"n","value":"\#(value1025)"}"#]), Schemas.agent).map(\.path) == ["attributes[0].value"])
        #expect(violations(item([#"{"name":"\#(longName)","value":"v"}"#]), Schemas.agent).map(\.path) == ["attributes[0].name"])
        #expect(violations(item([#"{"name":"n","value":"v","extra":1}"#]), Schemas.agent).map(\.code) == ["400-04"])
        #expect(violations(item([#"{"name":"n"}"#]), Schemas.agent).map(\.path) == ["attributes[0].value"])
        #expect(violations(item([#""n=v""#]), Schemas.agent).map(\.path) == ["attributes[0]"])
    }

    @Test("1000 items accepted, 0 and 1001 refused")
    func itemCounts() {
        let item = #"{"externalAgentId":"a"}"#
        func body(_ count: Int) -> String { #"{"items":[\#(Array(repeating: item, count: count).joined(separator: ","))]}"# }
        #expect(violations(body(1), Schemas.manyAgent).isEmpty)
        #expect(violations(body(1000), Schemas.manyAgent).isEmpty)
        #expect(violations(body(1001), Schemas.manyAgent).map(\.code) == ["400-06"])
        #expect(violations(body(1001), Schemas.manyAgent).map(\.path) == ["items"])
        #expect(violations(body(0), Schemas.manyAgent).map(\.code) == ["400-06"])
        #expect(violations(#"{"items":[{"externalAgentId":"a"},{"externalAgentId":"b c"}]}"#, Schemas.manyAgent).map(\.path) == ["items[1].externalAgentId"])
        #expect(violations(#"{"items":[], "extra":true}"#, Schemas.manyAgent).map(\.code) == ["400-04", "400-06"])
    }

    @Test("message batches hold 1 to 300 messages")
    func messageBatches() {
        let message = #"{"text":"hi","sender":{"role":"agent","externalId":"a-1"},"timestamp":"2021-11-23T12:13:14.555Z"}"#
        func body(_ count: Int) -> String { #"{"messages":[\#(Array(repeating: message, count: count).joined(separator: ","))]}"# }
        #expect(violations(body(300), Schemas.messageBatch).isEmpty)
        #expect(violations(body(301), Schemas.messageBatch).map(\.code) == ["400-06"])
        #expect(violations(body(0), Schemas.messageBatch).map(\.code) == ["400-06"])
    }

    @Test("messages: text min length 1, sender role enumeration, timestamp required")
    func messages() {
        let ok = #"{"text":"😀","sender":{"role":"system","externalId":"s"},"timestamp":"2021-11-23T12:13:14Z"}"#
        #expect(violations(ok, Schemas.message).isEmpty)
        let empty = violations(#"{"text":"","sender":{"role":"agent","externalId":"a"},"timestamp":"2021-11-23T12:13:14Z"}"#, Schemas.message)
        #expect(empty.map(\.path) == ["text"])
        let role = violations(#"{"text":"x","sender":{"role":"bot","externalId":"a"},"timestamp":"2021-11-23T12:13:14Z"}"#, Schemas.message)
        #expect(role.map(\.path) == ["sender.role"])
        // The vendor's own example sends externalId as a number; the schema says string.
        let numeric = violations(#"{"text":"x","sender":{"role":"agent","externalId":123},"timestamp":"2021-11-23T12:13:14Z"}"#, Schemas.message)
        #expect(numeric.map(\.path) == ["sender.externalId"])
        let missing = violations(#"{"text":"x","sender":{"role":"agent"}}"#, Schemas.message)
        #expect(missing.map(\.path) == ["sender.externalId", "timestamp"])
        #expect(missing.map(\.code) == ["400-02", "400-02"])
    }

    @Test("create-conversation: customer with externalId and timestamp are required; metadata is string to string")
    func conversationCreate() {
        let ok = """
        {"externalId":"conv-1","customer":{"externalId":"cust-1","name":"Ana"},"agent":{"externalId":"ag-1"},
         "metadata":{"queue":"billing","tier":"gold"},"timestamp":"2024-02-29T23:59:59.123456789012Z"}
        """
        #expect(violations(ok, Schemas.conversationCreate).isEmpty)
        let noCustomer = violations(#"{"externalId":"c","timestamp":"2024-01-01T00:00:00Z"}"#, Schemas.conversationCreate)
        #expect(noCustomer.map(\.path) == ["customer"])
        let noCustomerId = violations(#"{"externalId":"c","customer":{"name":"x"},"timestamp":"2024-01-01T00:00:00Z"}"#, Schemas.conversationCreate)
        #expect(noCustomerId.map(\.path) == ["customer.externalId"])
        let badMetadata = violations(#"{"externalId":"c","customer":{"externalId":"x"},"metadata":{"n":1},"timestamp":"2024-01-01T00:00:00Z"}"#, Schemas.conversationCreate)
        #expect(badMetadata.map(\.path) == ["metadata.n"])
        let noTimestamp = violations(#"{"externalId":"c","customer":{"externalId":"x"}}"#, Schemas.conversationCreate)
        #expect(noTimestamp.map(\.code) == ["400-02"])
        let nullAgent = violations(#"{"externalId":"c","customer":{"externalId":"x"},"agent":null,"timestamp":"2024-01-01T00:00:00Z"}"#, Schemas.conversationCreate)
        #expect(nullAgent.map(\.path) == ["agent"])
    }

    @Test("timestamps: Z with 0 or 1 to 12 fractional digits, real calendar values")
    func timestamps() {
        let accepted = [
            "2021-11-23T12:13:14Z", "2021-11-23T12:13:14.5Z", "2021-11-23T12:13:14.555Z",
            "2021-11-23T12:13:14.123456Z", "2021-11-23T12:13:14.123456789012Z",
            "2024-02-29T00:00:00Z", "2000-02-29T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        ]
        for value in accepted { #expect(ContractValidator.validateTimestamp(value), "\(value)") }
        let refused = [
            "", "2021-11-23", "2021-11-23T12:13:14", "2021-11-23T12:13:14.Z", "2021-11-23T12:13:14.1234567890123Z",
            "2021-11-23T12:13:14+00:00", "2021-11-23T12:13:14.555+01:00", "2021-11-23 12:13:14Z",
            "2021-11-23t12:13:14z", "2021-13-01T00:00:00Z", "2021-00-10T00:00:00Z", "2021-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z", "2021-04-31T00:00:00Z", "2021-11-23T24:00:00Z", "2021-11-23T12:60:00Z",
            "2021-11-23T12:13:60Z", "0000-01-01T00:00:00Z", "21-11-23T12:13:14Z", "2021-11-23T12:13:14ZZ",
            "2021-1-23T12:13:14Z", "２０21-11-23T12:13:14Z",
        ]
        for value in refused { #expect(!ContractValidator.validateTimestamp(value), "\(value)") }
        let found = violations(#"{"externalAgentId":"a","startTs":"2021-11-23T12:13:14+00:00"}"#, Schemas.agent, path: "items[0]")
        #expect(found == [ContractViolation(path: "items[0].startTs", code: "400-03", message: found.first?.message ?? "")])
        #expect(violations(#"{"externalAgentId":"a","startTs":20211123}"#, Schemas.agent).map(\.code) == ["400-03"])
    }

    @Test("messages never quote the offending value")
    func noValuesInMessages() {
        let secret = "s3cr3t-value-that-must-not-leak!"
        let found = violations(#"{"externalAgentId":"\#(secret)","agentName":"\#(String(repeating: "x", count: 300))"}"#, Schemas.agent)
        #expect(found.count == 2)
        for violation in found {
            #expect(!violation.description.contains(secret))
            #expect(!violation.description.contains("xxxx"))
        }
    }
}
