import Foundation

/// A regular expression of a mapping file (`matches:`, `replace:`), with the meaning Foundation's
/// `NSRegularExpression` gives it.
///
/// Most patterns in mappings are small (`\s+`, `[^a-zA-Z0-9_-]`, an e-mail shape) and most values they see
/// are short printable ASCII (phone numbers, zip codes, addresses), where going through Foundation costs
/// microseconds a call. Such a pattern is also compiled to an ``ASCIIProgram`` that answers for texts made
/// of printable ASCII only, with the same result; any other text, and every pattern outside the subset the
/// program covers, goes to `NSRegularExpression`.
public struct TextPattern: Sendable {
    /// The pattern as written.
    public let source: String
    let regex: NSRegularExpression
    /// The same pattern for printable-ASCII texts, when it is within the subset programs cover.
    let program: ASCIIProgram?

    /// `source` compiled; throws Foundation's error when it is not a valid regular expression.
    public init(_ source: String) throws {
        self.source = source
        self.regex = try NSRegularExpression(pattern: source)
        self.program = ASCIIProgram(pattern: source)
    }

    /// Whether the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        if let program, let found = ASCIIProgram.withPrintableASCII(text, { program.firstMatch(in: $0, from: 0) != nil }) {
            return found
        }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// `text` with every match replaced by `template` (`$1` is a group, as in Foundation's templates).
    public func replacingMatches(in text: String, with template: String) -> String {
        if let program, program.canReplace, !template.utf8.contains(where: { $0 == UInt8(ascii: "$") || $0 == UInt8(ascii: "\\") }),
           let replaced = ASCIIProgram.withPrintableASCII(text, { program.replacingMatches(in: $0, with: template) }) {
            return replaced ?? text
        }
        return ReplaceCache.shared.replace(regex, template: template, in: text)
    }
}
