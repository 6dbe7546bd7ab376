/// A problem with the connector's own state in PostgreSQL.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the problem.
    public enum Code: String, Sendable {
        /// The configured schema name is not a plain lower-case identifier.
        case invalidSchemaName = "invalid-schema-name"
        /// The state schema was written by a newer version of the connector.
        case schemaTooNew = "schema-too-new"
        /// Another run holds the stream.
        case streamBusy = "stream-busy"
    }

    public var code: Code
    public var message: String

    public var description: String { "\(code.rawValue): \(message)" }
}
