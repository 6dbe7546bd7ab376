public import SyncCore

/// One pass over a request body's bytes that answers a single question: would `JSONParser` parse it,
/// and `ContractValidator` find nothing wrong with it against a schema? No tree is built; strings are
/// checked where they lie, and only text with escapes or non-ASCII characters is decoded (by the
/// parser's own rules) and checked by the validator's own functions.
///
/// An answer is a conforming body's report, or `nil`: the body breaks a rule, or the scan cannot be
/// sure cheaply (a member name written with escapes or non-ASCII characters, a captured value that is
/// not plain text). So `nil` never means "refuse": it means "ask the parser and the validator", which
/// then give the exact answer and its messages. A report is only ever given for a body they accept.
public enum ContractScan {
    /// What to note while scanning.
    public enum Capture: Sendable {
        case none
        /// The decoded text of the top-level string member of this name.
        case string(member: String)
        /// For the top-level array member `array` (of objects): how many elements it has and, with a
        /// `member`, where the plain text of each element's string member of that name lies in the body.
        case elements(array: String, member: String?)
    }

    /// What a conforming body held of what was asked.
    public struct Report: Sendable {
        /// With `.string(member:)`: the member's text, when the body has it.
        public var string: String?
        /// With `.elements`: the number of elements of the array.
        public var elementCount = 0
        /// With `.elements` and a member: for each element, the byte range of the member's text (between
        /// the quotes, no escapes, ASCII), or `nil` when the element has no such member or it is `null`.
        public var elementRanges: [Range<Int>?] = []
    }

    /// The report for `body` when it is a JSON object conforming to `schema`; `nil` otherwise, or when
    /// the scan cannot tell (see the type's notes).
    public static func conforming(_ body: UnsafeBufferPointer<UInt8>, to schema: ObjectSchema,
                                  capture: Capture = .none) -> Report? {
        if body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF { return nil }
        var scanner = Scanner(bytes: body)
        switch capture {
        case .none: break
        case .string(let member):
            guard let index = schema.index(of: member) else { return nil }
            scanner.stringMember = index
        case .elements(let array, let member):
            guard let index = schema.index(of: array), case .objectArray(let elementSchema, _, _) = schema.fields[index].type else { return nil }
            scanner.arrayMember = index
            if let member {
                guard let elementMember = elementSchema.index(of: member) else { return nil }
                scanner.elementMember = elementMember
            }
        }
        scanner.skipWhitespace()
        guard scanner.object(schema, topLevel: true) else { return nil }
        scanner.skipWhitespace()
        guard scanner.index == body.count else { return nil }
        return scanner.report
    }

    /// `conforming(_:to:capture:)` over any contiguous bytes.
    public static func conforming(_ body: [UInt8], to schema: ObjectSchema, capture: Capture = .none) -> Report? {
        body.withUnsafeBufferPointer { conforming($0, to: schema, capture: capture) }
    }
}

extension ContractScan {
    /// A string as it was found: its raw bytes when they are its text (ASCII, no escapes), else decoded.
    enum Text {
        case plain(Range<Int>)
        case decoded(String)
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var report = Report()
        /// Top-level member positions (in the body's schema) whose value is noted.
        var stringMember: Int?
        var arrayMember: Int?
        /// The member noted in each element of `arrayMember` (its position in the element's schema).
        var elementMember: Int?

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// Consumes `byte` (after white space); false when something else comes.
        mutating func expect(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard current == byte else { return false }
            index += 1
            return true
        }

        /// Consumes the literal `null` when it comes next.
        mutating func null() -> Bool {
            guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
                  bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") else { return false }
            index += 4
            return true
        }

        /// The string at the cursor (which must be at its opening quote); `nil` when there is none or it
        /// does not parse.
        mutating func text() -> Text? {
            guard current == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") {
                    index = end + 1
                    return .plain(start..<end)
                }
                if byte == UInt8(ascii: "\\") || byte >= 0x80 { break }
                if byte < 0x20 { return nil }
                end += 1
            }
            var at = index
            guard let decoded = try? JSONParser.parseString(in: bytes, at: &at) else { return nil }
            index = at
            return .decoded(decoded)
        }

        func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[range])
        }

        /// An object conforming to `schema`, members in any order, each once.
        mutating func object(_ schema: ObjectSchema, topLevel: Bool = false, noting noted: Int? = nil,
                             into range: inout Range<Int>?) -> Bool {
            guard let requiredMask = schema.requiredMask, expect(UInt8(ascii: "{")) else { return false }
            var seen: UInt64 = 0
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return requiredMask == 0
            }
            while true {
                skipWhitespace()
                // A name written with escapes or non-ASCII characters may still equal a member's name as a
                // Swift string does: that is for the parser to settle.
                guard case .plain(let name)? = text(), let field = schema.index(ofUTF8: slice(name)) else { return false }
                let bit = UInt64(1) << UInt64(field)
                guard seen & bit == 0, expect(UInt8(ascii: ":")) else { return false }
                seen |= bit
                skipWhitespace()
                let spec = schema.fields[field]
                if null() {
                    guard !spec.required && spec.nullable else { return false }
                } else if topLevel && field == arrayMember, case .objectArray(let elementSchema, let minItems, let maxItems) = spec.type {
                    guard let count = objects(elementSchema, minItems: minItems, maxItems: maxItems, noting: elementMember) else { return false }
                    report.elementCount = count
                } else if field == noted {
                    guard case .string(let pattern, let maxLength, let minLength) = spec.type, case .plain(let raw)? = text(),
                          plainConforms(raw, pattern: pattern, maxLength: maxLength, minLength: minLength) else { return false }
                    range = raw
                } else if topLevel && field == stringMember {
                    var start = index
                    guard value(spec.type) else { return false }
                    if bytes[start] == UInt8(ascii: "\"") {
                        report.string = try? JSONParser.parseString(in: bytes, at: &start)
                    }
                } else {
                    guard value(spec.type) else { return false }
                }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return seen & requiredMask == requiredMask
                default:
                    return false
                }
            }
        }

        mutating func object(_ schema: ObjectSchema, topLevel: Bool = false) -> Bool {
            var unused: Range<Int>? = nil
            return object(schema, topLevel: topLevel, noting: nil, into: &unused)
        }

        /// The number of elements of an array of `minItems` to `maxItems` objects of `schema`, `nil` when
        /// it is not one; with `noted`, each element's member at that position is noted in the report.
        mutating func objects(_ schema: ObjectSchema, minItems: Int, maxItems: Int, noting noted: Int? = nil) -> Int? {
            var count = 0
            let accepted = elements { scanner in
                count += 1
                guard count <= maxItems else { return false }
                var range: Range<Int>? = nil
                guard scanner.object(schema, noting: noted, into: &range) else { return false }
                if noted != nil { scanner.report.elementRanges.append(range) }
                return true
            }
            guard accepted, count >= minItems else { return nil }
            return count
        }

        /// An array whose every element `element` accepts (it consumes one element); trailing commas
        /// and other syntax errors fail.
        mutating func elements(_ element: (inout Scanner) -> Bool) -> Bool {
            container(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), element)
        }

        /// `open`, then entries that `entry` accepts (each consumes one) separated by commas, then `close`.
        mutating func container(open: UInt8, close: UInt8, _ entry: (inout Scanner) -> Bool) -> Bool {
            guard expect(open) else { return false }
            skipWhitespace()
            if current == close {
                index += 1
                return true
            }
            while true {
                skipWhitespace()
                guard entry(&self) else { return false }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case close: index += 1; return true
                default: return false
                }
            }
        }

        /// A value (not `null`) of `type`.
        mutating func value(_ type: FieldType) -> Bool {
            switch type {
            case .string(let pattern, let maxLength, let minLength):
                return string(pattern: pattern, maxLength: maxLength, minLength: minLength)
            case .enumeration(let allowed):
                switch text() {
                case .plain(let raw)?:
                    let candidate = slice(raw)
                    // Compared as buffers: walking a String.UTF8View byte by byte was 4.6% of the sandbox's samples.
                    return allowed.contains { value in
                        value.utf8.withContiguousStorageIfAvailable { $0.count == candidate.count && $0.elementsEqual(candidate) }
                            ?? value.utf8.elementsEqual(candidate)
                    }
                case .decoded(let string)?:
                    return allowed.contains(string)
                case nil:
                    return false
                }
            case .stringArray(let itemPattern, let itemMaxLength):
                return elements { $0.string(pattern: itemPattern, maxLength: itemMaxLength, minLength: nil) }
            case .integer:
                return integer()
            case .dateTime:
                switch text() {
                case .plain(let raw)?: return ContractValidator.isTimestamp(slice(raw))
                case .decoded(let string)?: return ContractValidator.validateTimestamp(string)
                case nil: return false
                }
            case .email(let maxLength):
                switch text() {
                case .plain(let raw)?:
                    if let maxLength, raw.count > maxLength { return false }
                    return ContractValidator.isEmailAddress(scalars: slice(raw).lazy.map { Unicode.Scalar($0) })
                case .decoded(let string)?:
                    if let maxLength, !ContractValidator.fits(string, maxLength) { return false }
                    return ContractValidator.isEmailAddress(string)
                case nil:
                    return false
                }
            case .attributes:
                return objects(ContractValidator.attributeSchema, minItems: 0, maxItems: APILimits.maxAttributes) != nil
            case .object(let schema):
                return object(schema)
            case .stringMap:
                return stringMap()
            case .objectArray(let schema, let minItems, let maxItems):
                return objects(schema, minItems: minItems, maxItems: maxItems) != nil
            }
        }

        /// A string with the given pattern and lengths (in UTF-16 code units).
        mutating func string(pattern: CharacterPattern?, maxLength: Int?, minLength: Int?) -> Bool {
            switch text() {
            case .plain(let raw)?:
                return plainConforms(raw, pattern: pattern, maxLength: maxLength, minLength: minLength)
            case .decoded(let string)?:
                var violations: [ContractViolation] = []
                ContractValidator.checkString(string, pattern: pattern, maxLength: maxLength, minLength: minLength,
                                              at: ContractValidator.Location(parent: "", key: .none), into: &violations)
                return violations.isEmpty
            case nil:
                return false
            }
        }

        /// `ContractValidator.asciiConforms` for plain text at `raw`.
        func plainConforms(_ raw: Range<Int>, pattern: CharacterPattern?, maxLength: Int?, minLength: Int?) -> Bool {
            ContractValidator.asciiConforms(slice(raw), pattern: pattern, maxLength: maxLength, minLength: minLength)
        }

        /// A number the parser reads as an integer (no fraction, no exponent, within `Int64`), read by the
        /// parser's own rules.
        mutating func integer() -> Bool {
            guard let first = current, first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
                return false
            }
            var at = index
            guard case .int? = try? JSONParser.parseNumber(in: bytes, at: &at) else { return false }
            index = at
            return true
        }

        /// An object of string values under distinct names (distinct as Swift strings, as the parser
        /// judges them).
        mutating func stringMap() -> Bool {
            var names = Set<String>()
            return container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { scanner in
                guard scanner.current == UInt8(ascii: "\"") else { return false }
                var at = scanner.index
                guard let name = try? JSONParser.parseString(in: scanner.bytes, at: &at), names.insert(name).inserted else { return false }
                scanner.index = at
                guard scanner.expect(UInt8(ascii: ":")) else { return false }
                scanner.skipWhitespace()
                return scanner.text() != nil
            }
        }
    }
}
