import SyncCore

/// Checks request bodies against the contract, as the vendor's API does before ingesting anything.
///
/// The rules: members a schema does not define are refused (`400-04`); required members must be
/// present and not `null` (`400-02`); optional members may be `null` only where the schema says so;
/// strings are checked for pattern (whole value), and for length in UTF-16 code units (an emoji counts 2);
/// enumerations are case-sensitive; date-times must be UTC in the forms `validateTimestamp(_:)` accepts
/// (`400-03`); arrays must hold the documented number of items (`400-06`). Every violation is reported,
/// not just the first, in body order for unknown members and then schema order.
public enum ContractValidator {
    /// The violations of `value` against `schema`; empty when it conforms.
    ///
    /// `path` is the location of `value` inside the request body, prefixed to every reported path:
    /// pass `""` (or `"$"`) for the body itself, `"items[3]"` for an item of a batch.
    public static func validate(_ value: JSONValue, against schema: ObjectSchema, path: String) -> [ContractViolation] {
        var violations: [ContractViolation] = []
        validateObject(value, schema, at: Location(parent: path == "$" ? "" : path, key: .none), into: &violations)
        return violations
    }

    /// The violations of one field's value against its spec, reported at `path`; `null` is checked
    /// against the field's required and nullable flags. Used to check a mapping's constants before a run.
    public static func validateField(_ value: JSONValue, spec: FieldSpec, path: String) -> [ContractViolation] {
        var violations: [ContractViolation] = []
        if case .null = value {
            if spec.required || !spec.nullable {
                violations.append(ContractViolation(path: path, code: spec.required ? APIErrorCode.missingField : APIErrorCode.invalidValue,
                                                    message: spec.required ? "required field is null" : "null is not allowed here"))
            }
            return violations
        }
        validateValue(value, spec.type, at: Location(parent: "", key: .member(path)), into: &violations)
        return violations
    }

    /// The violations of a request body for `endpoint`; empty when it conforms (and always for `health`).
    public static func validate(body: JSONValue, for endpoint: Endpoint) -> [ContractViolation] {
        guard let schema = endpoint.requestSchema else { return [] }
        return validate(body, against: schema, path: "")
    }

    /// Whether `string` is a timestamp the API accepts: `yyyy-MM-ddTHH:mm:ssZ`, or the same with 1 to 12
    /// fractional-second digits before the `Z`, denoting a real UTC calendar date and time (years 0001 to
    /// 9999, no leap seconds). Lower-case `t`/`z`, offsets and spaces are refused.
    public static func validateTimestamp(_ string: String) -> Bool {
        var contiguous = string
        return contiguous.withUTF8(isTimestamp)
    }

    /// Whether `string` looks like an e-mail address: one `@` with a non-empty local part before it, a
    /// domain of at least two non-empty dot-separated labels of letters, digits, `-` (or non-ASCII) after
    /// it, and no whitespace or control characters anywhere.
    public static func isEmailAddress(_ string: String) -> Bool {
        isEmailAddress(scalars: string.unicodeScalars)
    }

    /// `isEmailAddress(_:)` over a text's scalars (for a reader holding ASCII bytes, each byte's scalar).
    static func isEmailAddress(scalars: some Sequence<Unicode.Scalar>) -> Bool {
        var atCount = 0
        var localLength = 0
        var labelLength = 0
        var labels = 0
        // ASCII is classed by value; only other characters need the Unicode tables (ASCII's white space is
        // all at or below U+0020, and any non-ASCII character may stand in a domain label).
        for scalar in scalars {
            if scalar.value <= 0x20 || scalar.value == 0x7F || (!scalar.isASCII && scalar.properties.isWhitespace) { return false }
            if scalar == "@" {
                atCount += 1
                continue
            }
            if atCount == 0 {
                localLength += 1
            } else if scalar == "." {
                guard labelLength > 0 else { return false }
                labels += 1
                labelLength = 0
            } else {
                let lowered = scalar.value | 0x20
                let ok = !scalar.isASCII || (lowered >= 0x61 && lowered <= 0x7A) || ("0"..."9").contains(scalar) || scalar == "-"
                guard ok else { return false }
                labelLength += 1
            }
        }
        return atCount == 1 && localLength > 0 && labels >= 1 && labelLength > 0
    }
}

extension ContractValidator {
    /// Where a value sits; the text of the path is only built when a violation is reported or a
    /// container is entered, so conforming scalars cost no string work.
    struct Location {
        enum Key {
            case none
            case member(String)
            case index(Int)
        }

        let parent: String
        let key: Key

        var path: String {
            switch key {
            case .none: return parent.isEmpty ? "$" : parent
            case .member(let name): return parent.isEmpty ? name : parent + "." + name
            case .index(let index): return (parent.isEmpty ? "$" : parent) + "[\(index)]"
            }
        }

        /// The path as the parent of nested values: the body root is the empty string.
        var containerPath: String {
            if case .none = key { return parent }
            return path
        }

        func member(_ name: String) -> Location { Location(parent: containerPath, key: .member(name)) }
        func index(_ index: Int) -> Location { Location(parent: containerPath, key: .index(index)) }
    }

    static let attributeSchema = ObjectSchema(name: "attribute", fields: [
        FieldSpec("name", .string(pattern: nil, maxLength: APILimits.maxAttributeNameLength, minLength: nil),
                  required: true, summary: "The name of the attribute"),
        FieldSpec("value", .string(pattern: nil, maxLength: APILimits.maxAttributeValueLength, minLength: nil),
                  required: true, summary: "The value of the named attribute"),
    ])

    static func validateObject(_ value: JSONValue, _ schema: ObjectSchema, at location: Location,
                               into violations: inout [ContractViolation]) {
        guard case .object(let object) = value else {
            violations.append(ContractViolation(path: location.path, code: APIErrorCode.invalidValue,
                                                message: "expected an object (\(schema.name)), got \(kind(of: value))"))
            return
        }
        // One pass over the members finds each one's place in the schema (a hash lookup, not a scan of the
        // object per schema member); the members are then judged in the schema's order.
        var members = [JSONValue?](repeating: nil, count: schema.fields.count)
        for (key, member) in object {
            if let index = schema.index(of: key) {
                members[index] = member
                continue
            }
            var message = "unknown field: \(schema.name) has no member of this name"
            if let suggestion = closestName(to: key, in: schema.fieldNames) {
                message += "; did you mean \(suggestion)?"
            }
            violations.append(ContractViolation(path: location.member(key).path, code: APIErrorCode.unknownField,
                                                message: message))
        }
        let parent = location.containerPath
        for (index, field) in schema.fields.enumerated() {
            let fieldLocation = Location(parent: parent, key: .member(field.name))
            switch members[index] {
            case nil:
                if field.required {
                    violations.append(ContractViolation(path: fieldLocation.path, code: APIErrorCode.missingField,
                                                        message: "required field is missing"))
                }
            case .null?:
                if field.required {
                    violations.append(ContractViolation(path: fieldLocation.path, code: APIErrorCode.missingField,
                                                        message: "required field is null"))
                } else if !field.nullable {
                    violations.append(ContractViolation(path: fieldLocation.path, code: APIErrorCode.invalidValue,
                                                        message: "null is not allowed here; leave the field out instead"))
                }
            case let member?:
                validateValue(member, field.type, at: fieldLocation, into: &violations)
            }
        }
    }

    static func validateValue(_ value: JSONValue, _ type: FieldType, at location: Location,
                              into violations: inout [ContractViolation]) {
        func fail(_ message: String, code: String = APIErrorCode.invalidValue) {
            violations.append(ContractViolation(path: location.path, code: code, message: message))
        }
        switch type {
        case .string(let pattern, let maxLength, let minLength):
            guard case .string(let string) = value else { return fail("expected a string, got \(kind(of: value))") }
            checkString(string, pattern: pattern, maxLength: maxLength, minLength: minLength, at: location, into: &violations)
        case .enumeration(let allowed):
            guard case .string(let string) = value else { return fail("expected a string, got \(kind(of: value))") }
            if !allowed.contains(string) {
                fail("value is not one of \(allowed.joined(separator: ", "))")
            }
        case .stringArray(let itemPattern, let itemMaxLength):
            guard case .array(let elements) = value else { return fail("expected an array of strings, got \(kind(of: value))") }
            let parent = location.containerPath
            for (offset, element) in elements.enumerated() {
                let elementLocation = Location(parent: parent, key: .index(offset))
                guard case .string(let string) = element else {
                    violations.append(ContractViolation(path: elementLocation.path, code: APIErrorCode.invalidValue,
                                                        message: "expected a string, got \(kind(of: element))"))
                    continue
                }
                checkString(string, pattern: itemPattern, maxLength: itemMaxLength, minLength: nil,
                            at: elementLocation, into: &violations)
            }
        case .integer:
            guard case .int = value else { return fail("expected an integer, got \(kind(of: value))") }
        case .dateTime:
            guard case .string(let string) = value, validateTimestamp(string) else {
                return fail("expected a UTC date-time yyyy-MM-ddTHH:mm:ssZ, optionally with 1 to 12 fractional digits before Z",
                            code: APIErrorCode.badTimestamp)
            }
        case .email(let maxLength):
            guard case .string(let string) = value else { return fail("expected a string, got \(kind(of: value))") }
            if let maxLength, !fits(string, maxLength) {
                return fail("is \(string.utf16.count) UTF-16 code units long; the maximum is \(maxLength)")
            }
            if !isEmailAddress(string) { fail("is not an e-mail address") }
        case .attributes:
            guard case .array(let elements) = value else { return fail("expected an array of {name, value}, got \(kind(of: value))") }
            if elements.count > APILimits.maxAttributes {
                return fail("has \(elements.count) attributes; the maximum is \(APILimits.maxAttributes)", code: APIErrorCode.itemCount)
            }
            // The container's path is written once, not once per element.
            let parent = location.containerPath
            for (offset, element) in elements.enumerated() {
                validateObject(element, attributeSchema, at: Location(parent: parent, key: .index(offset)), into: &violations)
            }
        case .object(let schema):
            validateObject(value, schema, at: location, into: &violations)
        case .stringMap:
            guard case .object(let object) = value else { return fail("expected an object of strings, got \(kind(of: value))") }
            for (key, member) in object {
                guard case .string = member else {
                    violations.append(ContractViolation(path: location.member(key).path, code: APIErrorCode.invalidValue,
                                                        message: "expected a string, got \(kind(of: member))"))
                    continue
                }
            }
        case .objectArray(let schema, let minItems, let maxItems):
            guard case .array(let elements) = value else { return fail("expected an array of \(schema.name), got \(kind(of: value))") }
            guard elements.count >= minItems && elements.count <= maxItems else {
                return fail("has \(elements.count) items; expected \(minItems) to \(maxItems)", code: APIErrorCode.itemCount)
            }
            let parent = location.containerPath
            for (offset, element) in elements.enumerated() {
                validateObject(element, schema, at: Location(parent: parent, key: .index(offset)), into: &violations)
            }
        }
    }

    static func checkString(_ string: String, pattern: CharacterPattern?, maxLength: Int?, minLength: Int?,
                            at location: Location, into violations: inout [ContractViolation]) {
        if let maxLength, !fits(string, maxLength) {
            violations.append(ContractViolation(path: location.path, code: APIErrorCode.invalidValue,
                                                message: "is \(string.utf16.count) UTF-16 code units long; the maximum is \(maxLength)"))
        }
        // One unit is any non-empty text; only longer minimums need the UTF-16 units counted.
        if let minLength, minLength > 0, minLength == 1 ? string.isEmpty : string.utf16.count < minLength {
            violations.append(ContractViolation(path: location.path, code: APIErrorCode.invalidValue,
                                                message: "must be at least \(minLength) UTF-16 code unit\(minLength == 1 ? "" : "s") long"))
        }
        if let pattern, !pattern.matches(string) {
            let message = string.isEmpty ? "must not be empty (pattern \(pattern.source))"
                                         : "contains a character outside the pattern \(pattern.source)"
            violations.append(ContractViolation(path: location.path, code: APIErrorCode.invalidValue, message: message))
        }
    }

    /// The checks of `checkString` for text known to be ASCII (whose UTF-16 code units are its bytes),
    /// answered over its bytes: for readers that hold the bytes and never made a `String`.
    public static func asciiConforms(_ bytes: UnsafeBufferPointer<UInt8>, pattern: CharacterPattern?, maxLength: Int?,
                                     minLength: Int?) -> Bool {
        if let maxLength, bytes.count > maxLength { return false }
        if let minLength, bytes.count < minLength { return false }
        if let pattern {
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !pattern.contains(byte) { return false }
        }
        return true
    }

    /// Whether `string` is at most `maxLength` UTF-16 code units, without counting them when its UTF-8
    /// length already proves it (UTF-16 never needs more units than UTF-8 needs bytes).
    static func fits(_ string: String, _ maxLength: Int) -> Bool {
        string.utf8.count <= maxLength || string.utf16.count <= maxLength
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The schema member at most two edits away from an unknown `name`, to point at misspellings such as
    /// `externlConversationId`.
    static func closestName(to name: String, in candidates: [String]) -> String? {
        let source = Array(name.utf8)
        guard source.count <= 64 else { return nil }
        var best: (name: String, distance: Int)? = nil
        for candidate in candidates {
            let target = Array(candidate.utf8)
            guard abs(target.count - source.count) <= 2 else { continue }
            var previous = Array(0...target.count)
            var current = [Int](repeating: 0, count: target.count + 1)
            for i in 1...max(source.count, 1) where !source.isEmpty {
                current[0] = i
                for j in 1...max(target.count, 1) where !target.isEmpty {
                    let cost = source[i - 1] == target[j - 1] ? 0 : 1
                    current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                }
                swap(&previous, &current)
            }
            let distance = previous[target.count]
            if distance <= 2 && distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    static func isTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // yyyy-MM-ddTHH:mm:ss is 19 bytes, then "Z" or "." + 1...12 digits + "Z".
        guard bytes.count >= 20, bytes.count <= 33 else { return false }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), bytes[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), bytes[10] == UInt8(ascii: "T"),
              let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), bytes[16] == UInt8(ascii: ":"),
              let second = digits(17, 2) else { return false }
        guard year >= 1, (1...12).contains(month), hour <= 23, minute <= 59, second <= 59 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1 && day <= monthDays[month - 1] else { return false }
        guard bytes[bytes.count - 1] == UInt8(ascii: "Z") else { return false }
        if bytes.count == 20 { return true }
        guard bytes[19] == UInt8(ascii: "."), bytes.count >= 22 else { return false }
        return digits(20, bytes.count - 21) != nil
    }
}
