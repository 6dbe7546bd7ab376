/// A whole-value pattern of the form `[class]+` (optionally anchored `^…$`) over ASCII characters, as the
/// vendor's OpenAPI text writes them, e.g. `[a-zA-Z0-9\-\_]+`.
///
/// Every pattern in the contract is a single bracketed class repeated one or more times, so matching is a
/// per-byte bitmask test instead of a regular-expression engine: cheap enough to run on every field of
/// every row.
public struct CharacterPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the vendor's documentation writes it.
    public let source: String
    // One bit per ASCII code point: bit n of `low` is code point n, bit n of `high` is code point 64 + n.
    private let low: UInt64
    private let high: UInt64

    /// A pattern from its OpenAPI text; `nil` unless `source` is one bracketed class of ASCII
    /// characters and ranges (backslash escapes allowed), followed by `+`, optionally within `^…$`.
    public init?(source: String) {
        var scalars = Array(source.unicodeScalars)
        if scalars.first == "^" { scalars.removeFirst() }
        if scalars.last == "$" { scalars.removeLast() }
        guard scalars.count >= 4, scalars.first == "[", scalars.suffix(2) == ["]", "+"] else { return nil }
        let body = scalars.dropFirst().dropLast(2)
        var members: [UInt8] = []
        var index = body.startIndex
        while index < body.endIndex {
            var scalar = body[index]
            if scalar == "\\" {
                index += 1
                guard index < body.endIndex else { return nil }
                scalar = body[index]
            } else if scalar == "]" || scalar == "[" {
                return nil
            }
            guard scalar.isASCII else { return nil }
            // `a-z` is a range; a `-` written last or escaped is literal.
            if index + 2 < body.endIndex, body[index + 1] == "-" {
                let upper = body[index + 2]
                guard upper.isASCII, upper.value >= scalar.value else { return nil }
                members.append(contentsOf: UInt8(scalar.value)...UInt8(upper.value))
                index += 3
            } else {
                members.append(UInt8(scalar.value))
                index += 1
            }
        }
        guard !members.isEmpty else { return nil }
        var low: UInt64 = 0
        var high: UInt64 = 0
        for member in members {
            if member < 64 { low |= 1 << UInt64(member) } else { high |= 1 << UInt64(member - 64) }
        }
        self.source = source
        self.low = low
        self.high = high
    }

    /// Whether the whole of `string` matches: non-empty and every character in the class.
    public func matches(_ string: String) -> Bool {
        // Over the contiguous bytes (a native string's, or a small one's copied to the stack): a plain
        // loop, where the UTF-8 view's iterator re-checks the string's form at every step.
        if let answer = string.utf8.withContiguousStorageIfAvailable({ bytes -> Bool in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !contains(byte) { return false }
            return true
        }) {
            return answer
        }
        var sawAny = false
        for byte in string.utf8 {
            guard contains(byte) else { return false }
            sawAny = true
        }
        return sawAny
    }

    /// Whether `byte` is in the class; bytes of non-ASCII characters never are.
    public func contains(_ byte: UInt8) -> Bool {
        if byte < 64 { return low & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return high & (1 << UInt64(byte - 64)) != 0 }
        return false
    }

    /// The pattern's source text.
    public var description: String { source }

    private static func make(_ source: String) -> CharacterPattern {
        guard let pattern = CharacterPattern(source: source) else {
            preconditionFailure("invalid built-in pattern \(source)")
        }
        return pattern
    }

    /// The vendor's id pattern `[a-zA-Z0-9\-\_]+`: letters, digits, `-` and `_`.
    public static let id = make(#"[a-zA-Z0-9\-\_]+"#)
    /// `browserVersion`: `[a-zA-Z0-9\-\_\.]+` (the id pattern plus `.`).
    public static let browserVersion = make(#"[a-zA-Z0-9\-\_\.]+"#)
    /// `externalCustomerId`: `[a-zA-Z0-9\-\_\.\@]+` (the id pattern plus `.` and `@`).
    public static let customerId = make(#"[a-zA-Z0-9\-\_\.\@]+"#)
    /// `phoneNumber`: `[0-9\-\.\(\)\+]+`.
    public static let phoneNumber = make(#"[0-9\-\.\(\)\+]+"#)
    /// Items of an agent's `languages`: `[a-zA-Z0-9\-]+`, e.g. `en-us`.
    public static let languageTag = make(#"[a-zA-Z0-9\-]+"#)
    /// The Conversations API's `conversationId` path parameter: `^[A-Z0-9]+$`.
    public static let conversationId = make("^[A-Z0-9]+$")
}
