/// One way a request body breaks the contract.
///
/// Paths are relative to the request body: members are joined with `.`, array elements are `[n]`
/// (zero-based), and the body itself is `$`. For example `items[3].platform`, `messages[0].sender.role`,
/// `timestamp`, `$`.
public struct ContractViolation: Sendable, Hashable, Error, CustomStringConvertible {
    /// Where in the body, e.g. `items[3].platform`.
    public let path: String
    /// The error code, one of `APIErrorCode`'s, e.g. `400-03`.
    public let code: String
    /// What is wrong. It quotes at most an enumeration's allowed values and lengths, never the offending
    /// value, so it is safe to log and to store.
    public let message: String

    /// A violation at `path`.
    public init(path: String, code: String, message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}
