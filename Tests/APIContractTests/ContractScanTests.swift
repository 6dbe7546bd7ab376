import Testing
@testable import APIContract
import SyncCore
import TestSupport

/// The scan must never accept what the parser and the validator refuse, and must accept what they accept
/// unless the body holds something it leaves to them (a member name written with escapes or non-ASCII
/// characters; a noted value that is not plain text). Bodies are drawn at random, most of them close to
/// conforming, so that every rule is broken one at a time as often as several at once.
@Suite struct ContractScanTests {
    /// The full answer: the body parses, is an object, and has no violation.
    static func accepted(_ body: [UInt8], _ schema: ObjectSchema) -> JSONValue? {
        guard let value = try? JSONParser.parse(body), case .object = value else { return nil }
        return ContractValidator.validate(value, against: schema, path: "").isEmpty ? value : nil
    }

    static let schemas: [(String, ObjectSchema, ContractScan.Capture)] = [
        ("many-convo", Schemas.manyConversation, .elements(array: "items", member: "eventId")),
        ("many-agent", Schemas.manyAgent, .elements(array: "items", member: "eventId")),
        ("many-customer", Schemas.manyCustomer, .elements(array: "items", member: "eventId")),
        ("conversation", Schemas.conversationCreate, .string(member: "externalId")),
        ("message batch", Schemas.messageBatch, .elements(array: "messages", member: nil)),
        ("message", Schemas.message, .none),
        ("convo item", Schemas.conversation, .none),
        ("agent item", Schemas.agent, .none),
        ("customer item", Schemas.customer, .none),
    ]

    @Test(arguments: 0..<schemas.count)
    func agreesWithTheParserAndTheValidator(_ which: Int) async throws {
        let (name, schema, capture) = ContractScanTests.schemas[which]
        var generator = BodyGenerator(random: SeededRandom(seed: 0x5CA9 &+ UInt64(which) &* 7919))
        if case .elements(_, let member?) = capture { generator.notedMember = member }
        var agreedAccepts = 0
        var agreedRefusals = 0
        var leftToParser = 0
        for round in 0..<1500 {
            // Other tests measure time on the same threads: this one lets them run now and then.
            if round % 50 == 0 { await Task.yield() }
            generator.mistakeRate = [0.0, 0.02, 0.08, 0.25][round % 4]
            generator.unsure = false
            let body = generator.document(schema)
            let full = ContractScanTests.accepted(body, schema)
            let report = ContractScan.conforming(body, to: schema, capture: capture)
            if report != nil {
                // Never more lenient than the full check.
                #expect(full != nil, "\(name): the scan accepted a body the validator refuses: \(String(decoding: body, as: UTF8.self))")
            }
            if let full, let report {
                ContractScanTests.checkCapture(report, full, body, capture, name: name)
            }
            switch (full != nil, report != nil) {
            case (true, true): agreedAccepts += 1
            case (false, false): agreedRefusals += 1
            case (true, false):
                leftToParser += 1
                #expect(generator.unsure, "\(name): the scan refused a conforming body with nothing left to the parser: \(String(decoding: body, as: UTF8.self))")
            case (false, true): break
            }
        }
        // Not vacuous: both answers came up often.
        #expect(agreedAccepts >= 100, "\(name): only \(agreedAccepts) conforming bodies")
        #expect(agreedRefusals >= 150, "\(name): only \(agreedRefusals) refused bodies")
        #expect(leftToParser < 400, "\(name): \(leftToParser) bodies left to the parser")
    }

    static func checkCapture(_ report: ContractScan.Report, _ full: JSONValue, _ body: [UInt8], _ capture: ContractScan.Capture,
                             name: String) {
        switch capture {
        case .none: break
        case .string(let member):
            #expect(report.string == full[member]?.stringValue, "\(name): \(member)")
        case .elements(let array, let member):
            let elements = full[array]?.arrayValue ?? []
            #expect(report.elementCount == elements.count, "\(name): element count")
            guard let member else {
                #expect(report.elementRanges.isEmpty, "\(name): nothing to note")
                return
            }
            #expect(report.elementRanges.count == elements.count, "\(name): noted ranges")
            for (range, element) in zip(report.elementRanges, elements) {
                let noted = range.map { String(decoding: body[$0], as: UTF8.self) }
                #expect(noted == element[member]?.stringValue, "\(name): \(member) of an element")
            }
        }
    }

    @Test func notesTheMembersAsked() throws {
        let body = Array(#"{"items":[{"externalConversationId":"c-1","eventId":"e-1"},{"externalConversationId":"c-2"},{"eventId":null,"externalConversationId":"c-3"}]}"#.utf8)
        let report = try #require(ContractScan.conforming(body, to: Schemas.manyConversation,
                                                          capture: .elements(array: "items", member: "eventId")))
        #expect(report.elementCount == 3)
        #expect(report.elementRanges.map { $0.map { String(decoding: body[$0], as: UTF8.self) } } == ["e-1", nil, nil])

        let conversation = Array(#"{"externalId":"caf\u00e9 1","customer":{"externalId":"u"},"timestamp":"2024-01-01T00:00:00Z"}"#.utf8)
        let created = try #require(ContractScan.conforming(conversation, to: Schemas.conversationCreate, capture: .string(member: "externalId")))
        #expect(created.string == "café 1")
    }

    @Test func leavesEscapedNamesAndNotedValuesToTheParser() {
        // Both conform, but the scan does not decide them.
        let escapedName = Array(#"{"items":[{"external\u0043onversationId":"c-1"}]}"#.utf8)
        #expect(ContractScanTests.accepted(escapedName, Schemas.manyConversation) != nil)
        #expect(ContractScan.conforming(escapedName, to: Schemas.manyConversation) == nil)
        let escapedEventId = Array(#"{"items":[{"externalConversationId":"c-1","eventId":"e\u002d1"}]}"#.utf8)
        #expect(ContractScanTests.accepted(escapedEventId, Schemas.manyConversation) != nil)
        #expect(ContractScan.conforming(escapedEventId, to: Schemas.manyConversation) != nil)
        #expect(ContractScan.conforming(escapedEventId, to: Schemas.manyConversation, capture: .elements(array: "items", member: "eventId")) == nil)
    }
}

/// Draws JSON texts for a schema: conforming, except where a mistake is drawn (at `mistakeRate` per
/// decision). Sets `unsure` when it wrote something the scan leaves to the parser.
struct BodyGenerator {
    var random: SeededRandom
    var mistakeRate = 0.0
    var unsure = false

    /// The member whose value the scan is asked to note: written with escapes or non-ASCII
    /// characters, it is left to the parser.
    var notedMember: String?

    mutating func mistake() -> Bool { random.chance(mistakeRate) }

    static func hex4(_ unit: UInt16) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [12, 8, 4, 0].map { digits[Int((unit >> UInt16($0)) & 0xF)] }
    }
    mutating func pick<T>(_ options: [T]) -> T { options[random.below(options.count)] }

    mutating func document(_ schema: ObjectSchema) -> [UInt8] {
        var out: [UInt8] = []
        if mistake() { out += [0xEF, 0xBB, 0xBF] }
        space(&out)
        if mistake() {
            out += Array(pick(["[]", "null", "\"x\"", "12"]).utf8)
        } else {
            object(schema, depth: 0, into: &out)
        }
        space(&out)
        if mistake() { out += Array(pick(["x", "{}", ",", "\u{0B}"]).utf8) }
        if mistake() && out.count > 2 { out.removeLast(1 + random.below(min(out.count - 1, 40))) }
        return out
    }

    mutating func space(_ out: inout [UInt8]) {
        guard random.chance(0.15) else { return }
        out += Array(pick([" ", "\n", "\t ", "\r\n  "]).utf8)
    }

    mutating func object(_ schema: ObjectSchema, depth: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var members: [Int] = []
        for (index, field) in schema.fields.enumerated() {
            if field.required ? !mistake() : random.chance(0.45) { members.append(index) }
        }
        members.shuffle(using: &random)
        if mistake(), let repeated = members.first { members.append(repeated) }
        var first = true
        for index in members {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            space(&out)
            let field = schema.fields[index]
            name(field.name, into: &out)
            space(&out)
            if !mistake() { out.append(UInt8(ascii: ":")) }
            space(&out)
            if (!field.required && field.nullable && random.chance(0.1)) || mistake() {
                out += Array("null".utf8)
            } else {
                let start = out.count
                value(field.type, depth: depth, into: &out)
                if field.name == notedMember, out[start...].contains(where: { $0 == UInt8(ascii: "\\") || $0 >= 0x80 }) {
                    unsure = true
                }
            }
            space(&out)
        }
        if mistake() {
            if !first { out.append(UInt8(ascii: ",")) }
            name(pick(["extra", "eventid", "items", "text"]), into: &out)
            out += Array(":\"v\"".utf8)
            first = false
        }
        if mistake() && !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "}"))
    }

    mutating func name(_ name: String, into out: inout [UInt8]) {
        if random.chance(0.02) {
            // Escaped, or with the Kelvin sign, which Swift's strings equate with `K`: the parser's call.
            unsure = true
            var text = Array(name.utf8)
            let at = random.below(text.count)
            let escape = Array("\\u".utf8) + BodyGenerator.hex4(UInt16(text[at]))
            text.replaceSubrange(at...at, with: escape)
            out.append(UInt8(ascii: "\""))
            out += text
            out.append(UInt8(ascii: "\""))
            return
        }
        out += Array("\"\(name)\"".utf8)
    }

    mutating func value(_ type: FieldType, depth: Int, into out: inout [UInt8]) {
        if mistake() {
            out += Array(pick(["1", "1.5", "true", "{}", "[]", "\"2024\"", "[\"a\"]", "-0"]).utf8)
            return
        }
        switch type {
        case .string(let pattern, let maxLength, _):
            string(forPattern: pattern, maxLength: maxLength, into: &out)
        case .enumeration(let allowed):
            string(mistake() ? pick(["", "web", allowed[0].lowercased(), allowed[0] + " "]) : pick(allowed), into: &out)
        case .stringArray(let itemPattern, let itemMaxLength):
            out.append(UInt8(ascii: "["))
            let count = random.below(4)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(forPattern: itemPattern, maxLength: itemMaxLength, into: &out)
            }
            if mistake() && count > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "]"))
        case .integer:
            let choices = mistake() ? ["01", "1.0", "1e3", "9223372036854775808", "-", "- 1", "00"]
                                    : ["0", "7", "-3", "250", "9223372036854775807", "-9223372036854775808", "-0"]
            out += Array(pick(choices).utf8)
        case .dateTime:
            let good = ["2024-02-08T17:20:00Z", "2024-02-08T17:20:00.5Z", "2024-02-29T23:59:59.123456789012Z", "0001-01-01T00:00:00Z"]
            let bad = ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-02-08 17:20:00Z", "2024-02-08T17:20:00z",
                       "2024-02-08T17:20:00+00:00", "2024-02-08T17:20:00.Z", "2024-02-08T24:00:00Z", "2024-02-08T17:20:00.1234567890123Z"]
            string(mistake() ? pick(bad) : pick(good), into: &out)
        case .email:
            let good = ["a@b.co", "first.last+tag@example.com", "ü@exämple.de", "x@a-b.c-d.org"]
            let bad = ["a@b", "@b.co", "a b@c.de", "a@@b.co", "a@b..co", "a@b.c_o", "a@b.co\u{00A0}", "a\tb@c.de"]
            string(mistake() ? pick(bad) : pick(good), into: &out)
        case .attributes:
            out.append(UInt8(ascii: "["))
            let count = mistake() ? 11 : random.below(4)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                object(ContractValidator.attributeSchema, depth: depth + 1, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let schema):
            object(schema, depth: depth + 1, into: &out)
        case .stringMap:
            out.append(UInt8(ascii: "{"))
            var names = ["k", "k2", "é", "e\u{301}", "K", "\u{212A}"].shuffled(using: &random).prefix(random.below(4))
            if mistake(), let repeated = names.first { names.append(repeated) }
            for (index, key) in names.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if mistake() { out += Array("3".utf8) } else { string(pick(["v", "", "😀", "a\"b"]), into: &out) }
            }
            out.append(UInt8(ascii: "}"))
        case .objectArray(let schema, let minItems, let maxItems):
            out.append(UInt8(ascii: "["))
            var count = minItems + random.below(min(4, maxItems - minItems + 1))
            if mistake() {
                // One too few, or one too many (rarely, when that means a thousand objects).
                count = random.chance(0.5) ? max(0, minItems - 1) : (maxItems <= 20 || random.chance(0.05) ? maxItems + 1 : count)
            }
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                space(&out)
                object(schema, depth: depth + 1, into: &out)
            }
            if mistake() && count > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "]"))
        }
    }

    mutating func string(forPattern pattern: CharacterPattern?, maxLength: Int?, into out: inout [UInt8]) {
        var choices = pattern == nil ? ["hello", "José", "a b", "東京都", "😀 x", "x"] : ["abc-1_X", "retail_general", "A1", "x"]
        if let pattern, pattern.contains(UInt8(ascii: ".")) { choices.append("1.2.3") }
        if let pattern, pattern.contains(UInt8(ascii: "(")) { choices = ["+1-415-555-0100", "(0)12.34"] }
        if mistake() { choices = ["", "a b", "retención", "x/y", "\u{212A}", "tab\tin"] }
        var text = pick(choices)
        if let maxLength, random.chance(0.03) {
            // At the limit, or one over it, in ASCII or in two-unit emoji.
            let over = random.chance(0.5) ? 1 : 0
            text = random.chance(0.5) ? String(repeating: "a", count: maxLength + over)
                                      : String(repeating: "😀", count: maxLength / 2) + (over == 1 ? "a" : "")
        }
        string(text, into: &out)
    }

    /// `text` as a JSON string, written plainly or with escapes; now and then broken.
    mutating func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let escapeRate = random.chance(0.2) ? 0.3 : 0.0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\t" where !mistake(): out += Array("\\t".utf8)
            default:
                if random.chance(escapeRate) {
                    for unit in String(scalar).utf16 { out += Array("\\u".utf8) + BodyGenerator.hex4(unit) }
                } else if scalar == "/" && random.chance(0.5) {
                    out += Array("\\/".utf8)
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        if mistake() {
            out += pick([[0x5C, 0x78], [0x5C, 0x75, 0x44, 0x38, 0x30, 0x30], [0xC3], [0xED, 0xA0, 0x80], [0x01], [0xC0, 0xAF]])
        }
        out.append(UInt8(ascii: "\""))
    }
}
