/// A run that cannot start or go on, for a reason of its own (not the database's or the API's).
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the problem.
    public enum Code: String, Sendable {
        /// A stream named on the command line is not in the mapping file.
        case unknownStream = "unknown-stream"
    }

    public var code: Code
    public var message: String

    public var description: String { message }
}
