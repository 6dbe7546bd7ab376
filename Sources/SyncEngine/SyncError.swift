/// A run that cannot start or go on, for a reason of its own (not the database's or the API's).
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the problem.
    public enum Code: String, Sendable {
        /// A stream named on the command line is not in the mapping file.
        case unknownStream = "unknown-stream"
        /// The command does not apply to this kind of stream.
        case unsupported = "unsupported"
        /// Another process holds what this one needs.
        case busy = "busy"
    }

    public var code: Code
    public var message: String

    public var description: String { message }
}

extension SyncError {
    /// Any error of a run as one line without secrets or row contents: the connector's own error types
    /// never carry them, and anything else is named by its type.
    public static func describe(_ error: any Error) -> String {
        RunContext.describe(error)
    }
}
