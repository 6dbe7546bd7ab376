/// A source row or query that breaks what watermark extraction relies on.
public struct ExtractionError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the problem.
    public enum Code: String, Sendable {
        /// The watermark or key column is not in the relation's result.
        case missingColumn = "missing-column"
        /// A row's key is NULL, so it cannot be ordered or checkpointed.
        case nullKey = "null-key"
    }

    public var code: Code
    public var message: String

    public var description: String { "\(code.rawValue): \(message)" }
}
