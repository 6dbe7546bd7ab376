/// Why and where a JSON text was refused.
///
/// `description` names the position and the rule broken, never the document's contents, so it is safe to
/// log or to return to an HTTP client.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for the rule that was broken.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's stable text, e.g. `unexpected-byte`.
        public let rawValue: String

        /// The input ended inside a value.
        public static let unexpectedEnd = Code(rawValue: "unexpected-end")
        /// A byte that cannot start or continue the value at this position.
        public static let unexpectedByte = Code(rawValue: "unexpected-byte")
        /// Bytes that are not well-formed UTF-8.
        public static let invalidUTF8 = Code(rawValue: "invalid-utf8")
        /// A backslash escape JSON does not define, or a lone UTF-16 surrogate.
        public static let invalidEscape = Code(rawValue: "invalid-escape")
        /// An unescaped control character (below U+0020) inside a string.
        public static let controlCharacter = Code(rawValue: "control-character")
        /// A number that breaks JSON's grammar (leading zero, missing digits) or overflows a double.
        public static let invalidNumber = Code(rawValue: "invalid-number")
        /// Arrays and objects nested deeper than the parser's limit.
        public static let tooDeep = Code(rawValue: "too-deep")
        /// The same key twice in one object.
        public static let duplicateKey = Code(rawValue: "duplicate-key")
        /// Something other than whitespace after the top-level value.
        public static let trailingContent = Code(rawValue: "trailing-content")

        /// The code's text.
        public var description: String { rawValue }
    }

    /// The rule that was broken.
    public let code: Code
    /// Zero-based byte offset of the offending byte in the input.
    public let offset: Int
    /// One-based line number of the offending byte (lines end at `\n`).
    public let line: Int
    /// One-based column of the offending byte, counted in bytes from the start of its line.
    public let column: Int
    /// What was wrong, in a few words.
    public let message: String

    /// An error at `offset` whose line and column have already been worked out.
    public init(code: Code, offset: Int, line: Int, column: Int, message: String) {
        self.code = code
        self.offset = offset
        self.line = line
        self.column = column
        self.message = message
    }

    /// `invalid JSON at line L, column C (byte O): message`.
    public var description: String {
        "invalid JSON at line \(line), column \(column) (byte \(offset)): \(message)"
    }
}
