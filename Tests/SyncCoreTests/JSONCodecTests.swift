import SyncCore
import Testing

@Suite("JSON codec")
struct JSONCodecTests {
    private func roundTrip(_ text: String) throws -> String {
        try JSONParser.parse(text).jsonString
    }

    @Test("compact documents survive a parse and an encode byte for byte")
    func compactRoundTrips() throws {
        let documents = [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-12.5,"g":[]}"#,
            #"[]"#, #"{}"#, #""x""#, #"0"#, #"-0.0"#, #"1e-07"#, #"0.1"#,
            #"{"z":1,"a":2,"m":3}"#,
            #"[9223372036854775807,-9223372036854775808]"#,
            #"{"nested":[[[[{"deep":[1,[2,[3]]]}]]]]}"#,
        ]
        for document in documents {
            #expect(try roundTrip(document) == document)
        }
    }

    @Test("object members keep their order")
    func orderPreserved() throws {
        let value = try JSONParser.parse(#"{"zeta":1,"alpha":2,"mid":3}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
    }

    @Test("string escapes: quotes, backslash, short forms, other control characters, slash kept raw")
    func stringEscapes() {
        var buffer: [UInt8] = []
        JSONValue.encodeString("a\"b\\c\nd\te\r\u{08}\u{0C}\u{01}\u{1F}/é", into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #""a\"b\\c\nd\te\r\b\f\u0001\u001f/é""#)
    }

    @Test("emoji, right-to-left text, newlines and tabs are byte-identical after a round trip")
    func unicodeTextIsPreserved() throws {
        let samples = [
            "👩‍👩‍👧‍👦 family 🇫🇷 flag",
            "مرحبا بالعالم",
            "שלום\u{200F}עולם",
            "line one\nline two\ttabbed\r\n",
            "NUL\u{0}inside",
            "\u{FEFF}BOM-leading text",
            "𝄞 music",
        ]
        for sample in samples {
            let encoded = JSONValue.string(sample).jsonBytes
            let decoded = try JSONParser.parse(encoded)
            #expect(decoded == .string(sample))
            #expect(Array(decoded.stringValue!.utf8) == Array(sample.utf8))
            #expect(decoded.jsonBytes == encoded)
        }
    }

    @Test("non-ASCII text is written as raw UTF-8, not \\u escapes")
    func rawUTF8Output() {
        #expect(JSONValue.string("é😀").jsonString == "\"é😀\"")
    }

    @Test("\\u escapes decode, including surrogate pairs")
    func unicodeEscapes() throws {
        #expect(try JSONParser.parse(#""\u00e9\u0041\ud83d\ude00\/""#) == .string("éA😀/"))
        #expect(try JSONParser.parse(#""\uD834\uDD1E""#) == .string("𝄞"))
    }

    @Test("integers stay exact; fractions and exponents become doubles")
    func numbers() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONParser.parse("3.0") == .double(3.0))
        #expect(try JSONParser.parse("1E3") == .double(1000))
        #expect(try JSONParser.parse("-0") == .int(0))
        #expect(JSONValue.int(Int64.min).jsonString == "-9223372036854775808")
        #expect(JSONValue.int(1234567890).jsonString == "1234567890")
        #expect(JSONValue.int(-7).jsonString == "-7")
    }

    @Test("doubles print the shortest text that parses back to the same value")
    func doublesRoundTrip() throws {
        let values: [Double] = [0.1, 1.0 / 3.0, 1e300, -2.5e-300, 5e-324, 123456.789, 1e21, Double.pi]
        for value in values {
            let text = JSONValue.double(value).jsonString
            #expect(try JSONParser.parse(text) == .double(value), "\(text)")
        }
        #expect(JSONValue.double(.nan).jsonString == "null")
        #expect(JSONValue.double(.infinity).jsonString == "null")
        #expect(JSONValue.double(-.infinity).jsonString == "null")
    }

    @Test("pretty printing indents members and keeps empty containers on one line")
    func prettyPrinting() {
        let value = JSONValue.object(JSONObject([
            ("a", .int(1)),
            ("b", .array([.bool(true), .null])),
            ("c", .object(JSONObject())),
            ("d", .array([])),
        ]))
        #expect(value.prettyPrinted() == """
        {
          "a": 1,
          "b": [
            true,
            null
          ],
          "c": {},
          "d": []
        }
        """)
        #expect(JSONValue.array([.int(1)]).prettyPrinted(indent: 4) == "[\n    1\n]")
    }

    @Test("parses from any collection of bytes, with surrounding whitespace")
    func nonContiguousInput() throws {
        let bytes = Array(" \t\r\n{\"k\" : [ 1 , 2 ] }\n ".utf8)
        let value = try JSONParser.parse(bytes.lazy.map { $0 })
        #expect(value == .object(JSONObject([("k", .array([.int(1), .int(2)]))])))
    }

    struct Malformed: Sendable, CustomStringConvertible {
        let input: [UInt8]
        let code: JSONParseError.Code
        let offset: Int
        var description: String { String(decoding: input, as: UTF8.self) }

        init(_ text: String, _ code: JSONParseError.Code, _ offset: Int) {
            self.input = Array(text.utf8)
            self.code = code
            self.offset = offset
        }

        init(bytes: [UInt8], _ code: JSONParseError.Code, _ offset: Int) {
            self.input = bytes
            self.code = code
            self.offset = offset
        }
    }

    static let malformed: [Malformed] = [
        Malformed("", .unexpectedEnd, 0),
        Malformed("   ", .unexpectedEnd, 3),
        Malformed("[1,2,]", .unexpectedByte, 5),
        Malformed(#"{"a":1,}"#, .unexpectedByte, 7),
        Malformed("[1 2]", .unexpectedByte, 3),
        Malformed("01", .invalidNumber, 0),
        Malformed("-01", .invalidNumber, 0),
        Malformed("1.", .invalidNumber, 2),
        Malformed(".5", .unexpectedByte, 0),
        Malformed("1e", .invalidNumber, 2),
        Malformed("+1", .unexpectedByte, 0),
        Malformed("1e999", .invalidNumber, 0),
        Malformed("NaN", .unexpectedByte, 0),
        Malformed("tru", .unexpectedEnd, 3),
        Malformed("nul1", .unexpectedByte, 3),
        Malformed(#"{"a":1,"a":2}"#, .duplicateKey, 7),
        Malformed(#"{"a" 1}"#, .unexpectedByte, 5),
        Malformed(#"{a:1}"#, .unexpectedByte, 1),
        Malformed("'x'", .unexpectedByte, 0),
        Malformed(#""abc"#, .unexpectedEnd, 4),
        Malformed("\"a\tb\"", .controlCharacter, 2),
        Malformed(#""\x""#, .invalidEscape, 1),
        Malformed(#""\ud83d""#, .invalidEscape, 1),
        Malformed(#""\ude00""#, .invalidEscape, 1),
        Malformed(#""\ud83d\u0041""#, .invalidEscape, 1),
        Malformed(#""\u12G4""#, .invalidEscape, 5),
        Malformed("{} []", .trailingContent, 3),
        Malformed("[1]\n// comment", .trailingContent, 4),
        Malformed(bytes: [0x22, 0xC3, 0x28, 0x22], .invalidUTF8, 2),
        Malformed(bytes: [0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, 1),
        Malformed(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, 2),
        Malformed(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, 2),
        Malformed(bytes: [0x22, 0xE2, 0x82], .invalidUTF8, 1),
        Malformed(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], .unexpectedByte, 0),
        Malformed(bytes: [0x22, 0xFF, 0x22], .invalidUTF8, 1),
    ]

    @Test("malformed input is refused with the rule and the byte offset", arguments: malformed)
    func malformedInput(_ sample: Malformed) {
        do {
            let value = try JSONParser.parse(sample.input)
            Issue.record("accepted as \(value)")
        } catch {
            #expect(error.code == sample.code)
            #expect(error.offset == sample.offset)
        }
    }

    @Test("errors report line and column")
    func lineAndColumn() {
        do {
            _ = try JSONParser.parse("{\n  \"a\": 1,\n  \"b\": tru\n}")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 11)
            #expect(error.offset == 22)
            #expect(error.description.contains("line 3, column 11"))
        }
    }

    @Test("nesting is limited")
    func depthLimit() throws {
        let depth = JSONParser.maximumDepth
        let ok = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try JSONParser.parse(ok)
        let deep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .tooDeep)
            #expect(error.offset == depth)
        }
    }

    @Test("large objects still refuse duplicate keys")
    func duplicateInLargeObject() {
        let members = (0..<100).map { "\"k\($0)\":\($0)" } + ["\"k42\":0"]
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{" + members.joined(separator: ",") + "}") }
    }
}
