/// A strict RFC 8259 JSON parser producing `JSONValue`s.
///
/// Strict means: the input must be well-formed UTF-8 (no byte-order mark); only the four JSON whitespace
/// characters are skipped; no comments, trailing commas, single quotes, leading zeros, `NaN` or bare
/// control characters; `\u` escapes must pair surrogates; an object may not repeat a key; nesting is
/// limited to `maximumDepth`. Any JSON value is accepted at the top level.
///
/// A number written without fraction or exponent that fits `Int64` becomes `.int`; every other number
/// becomes `.double` (so `3.0` stays a double and encoding it again prints `3.0`). A number too large
/// for a double is refused rather than turned into infinity.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted: 512.
    public static let maximumDepth = 512

    /// Parses one JSON text from UTF-8 `bytes`.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let direct: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = Reader(buffer)
            return Result { () throws(JSONParseError) -> JSONValue in try reader.parseDocument() }
        }
        if let direct { return try direct.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) -> JSONValue in
            var reader = Reader(buffer)
            return try reader.parseDocument()
        }
    }

    /// Parses one JSON text.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

extension JSONParser {
    /// Decodes the JSON string whose opening quote is at `bytes[index]`, by exactly the rules `parse`
    /// applies to strings; on return `index` is just past the closing quote. For readers that walk a
    /// document themselves and need a string's text only now and then.
    public static func parseString(in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) throws(JSONParseError) -> String {
        precondition(index < bytes.count && bytes[index] == UInt8(ascii: "\""), "not at the opening quote of a string")
        var reader = Reader(bytes)
        reader.index = index
        let string = try reader.parseString()
        index = reader.index
        return string
    }

    /// Reads the JSON number that starts at `bytes[index]`, by exactly the rules `parse` applies to
    /// numbers (`.int` or `.double`); on return `index` is just past it.
    public static func parseNumber(in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) throws(JSONParseError) -> JSONValue {
        precondition(index < bytes.count, "no number at the end of the input")
        var reader = Reader(bytes)
        reader.index = index
        let number = try reader.parseNumber()
        index = reader.index
        return number
    }
}

extension JSONParser {
    /// A cursor over the input; every method either consumes a complete token or throws.
    fileprivate struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func parseDocument() throws(JSONParseError) -> JSONValue {
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
                throw error(.unexpectedByte, "a byte-order mark is not allowed")
            }
            skipWhitespace()
            let value = try parseValue()
            skipWhitespace()
            if index < bytes.count {
                throw error(.trailingContent, "unexpected content after the top-level value")
            }
            return value
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw error(.unexpectedEnd, "expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error(.unexpectedByte, "expected a value")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            let start = literal.utf8Start
            for offset in 0..<count {
                guard index < bytes.count else { throw error(.unexpectedEnd, "incomplete literal") }
                guard bytes[index] == start[offset] else { throw error(.unexpectedByte, "invalid literal") }
                index += 1
            }
        }

        mutating func enter() throws(JSONParseError) {
            depth += 1
            if depth > JSONParser.maximumDepth {
                throw error(.tooDeep, "nesting deeper than \(JSONParser.maximumDepth) levels")
            }
        }

        mutating func parseArray() throws(JSONParseError) -> JSONValue {
            try enter()
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated array") }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    skipWhitespace()
                    if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                        throw error(.unexpectedByte, "trailing comma in array")
                    }
                case UInt8(ascii: "]"):
                    index += 1
                    depth -= 1
                    return .array(elements)
                default:
                    throw error(.unexpectedByte, "expected ',' or ']' in array")
                }
            }
        }

        mutating func parseObject() throws(JSONParseError) -> JSONValue {
            try enter()
            index += 1
            var object = JSONObject()
            // Small objects check duplicates by scanning their keys; large ones switch to a set so that
            // a hostile document with thousands of keys costs linear time, not quadratic.
            var seen: Set<String>? = nil
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(object)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated object") }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    if bytes[index] == UInt8(ascii: "}") { throw error(.unexpectedByte, "trailing comma in object") }
                    throw error(.unexpectedByte, "expected a string key")
                }
                let keyOffset = index
                let key = try parseString()
                let duplicate: Bool
                if var set = seen {
                    duplicate = !set.insert(key).inserted
                    seen = set
                } else if object.count >= 16 {
                    var set = Set(object.keys)
                    duplicate = !set.insert(key).inserted
                    seen = set
                } else {
                    duplicate = object.keys.contains(key)
                }
                if duplicate {
                    throw error(.duplicateKey, "duplicate object key", at: keyOffset)
                }
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated object") }
                guard bytes[index] == UInt8(ascii: ":") else { throw error(.unexpectedByte, "expected ':' after key") }
                index += 1
                skipWhitespace()
                object.appendUnchecked(key, try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated object") }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    depth -= 1
                    return .object(object)
                default:
                    throw error(.unexpectedByte, "expected ',' or '}' in object")
                }
            }
        }

        mutating func parseString() throws(JSONParseError) -> String {
            index += 1  // opening quote
            let start = index
            // Fast path: a run with no escapes is validated and decoded straight from the input.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return string
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw error(.controlCharacter, "unescaped control character in string") }
                if byte < 0x80 {
                    index += 1
                } else {
                    try skipUTF8Sequence()
                }
            }
            var scratch: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: scratch, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try parseEscape(into: &scratch)
                case 0..<0x20:
                    throw error(.controlCharacter, "unescaped control character in string")
                case 0x20..<0x80:
                    scratch.append(byte)
                    index += 1
                default:
                    let sequenceStart = index
                    try skipUTF8Sequence()
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[sequenceStart..<index]))
                }
            }
            throw error(.unexpectedEnd, "unterminated string")
        }

        /// Consumes one well-formed multi-byte UTF-8 sequence (Unicode Table 3-7: no overlongs, no
        /// surrogates, nothing above U+10FFFF).
        mutating func skipUTF8Sequence() throws(JSONParseError) {
            let lead = bytes[index]
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: throw error(.invalidUTF8, "invalid UTF-8 lead byte")
            }
            guard index + length <= bytes.count else {
                throw error(.invalidUTF8, "truncated UTF-8 sequence")
            }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else {
                throw error(.invalidUTF8, "invalid UTF-8 continuation byte", at: index + 1)
            }
            var offset = 2
            while offset < length {
                guard bytes[index + offset] & 0xC0 == 0x80 else {
                    throw error(.invalidUTF8, "invalid UTF-8 continuation byte", at: index + offset)
                }
                offset += 1
            }
            index += length
        }

        mutating func parseEscape(into scratch: inout [UInt8]) throws(JSONParseError) {
            let escapeStart = index
            index += 1
            guard index < bytes.count else { throw error(.unexpectedEnd, "unterminated escape") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try parseHex4()
                var scalarValue = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 1 < bytes.count,
                          bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error(.invalidEscape, "high surrogate not followed by a low surrogate", at: escapeStart)
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw error(.invalidEscape, "high surrogate not followed by a low surrogate", at: escapeStart)
                    }
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw error(.invalidEscape, "lone low surrogate", at: escapeStart)
                }
                // Both branches above leave a valid scalar value.
                let scalar = Unicode.Scalar(scalarValue)!
                scratch.append(contentsOf: UTF8.encode(scalar)!)
            default:
                throw error(.invalidEscape, "invalid escape sequence", at: escapeStart)
            }
        }

        mutating func parseHex4() throws(JSONParseError) -> UInt16 {
            guard index + 4 <= bytes.count else { throw error(.unexpectedEnd, "incomplete \\u escape") }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error(.invalidEscape, "invalid hex digit in \\u escape")
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }

        mutating func parseNumber() throws(JSONParseError) -> JSONValue {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            guard index < bytes.count else { throw error(.unexpectedEnd, "expected digits") }
            guard isDigit(bytes[index]) else { throw error(.invalidNumber, "expected a digit") }
            // Accumulate the integer part as a negative number: Int64.min has no positive counterpart.
            var accumulator: Int64 = 0
            var overflow = false
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count && isDigit(bytes[index]) {
                    throw error(.invalidNumber, "leading zeros are not allowed", at: start)
                }
            } else {
                while index < bytes.count && isDigit(bytes[index]) {
                    if !overflow {
                        let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                        let (next, o2) = times10.subtractingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                        if o1 || o2 { overflow = true } else { accumulator = next }
                    }
                    index += 1
                }
            }
            var integral = true
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error(.invalidNumber, "expected a digit after the decimal point")
                }
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                integral = false
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    index += 1
                }
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw error(.invalidNumber, "expected a digit in the exponent")
                }
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            }
            if integral && !overflow {
                if negative { return .int(accumulator) }
                if accumulator != Int64.min { return .int(-accumulator) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let double = Double(text), double.isFinite else {
                throw error(.invalidNumber, "number out of range", at: start)
            }
            return .double(double)
        }

        func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        func error(_ code: JSONParseError.Code, _ message: String, at offset: Int? = nil) -> JSONParseError {
            let position = min(offset ?? index, bytes.count)
            var line = 1
            var lineStart = 0
            for i in 0..<position where bytes[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            return JSONParseError(code: code, offset: position, line: line, column: position - lineStart + 1, message: message)
        }
    }
}
