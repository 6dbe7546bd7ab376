/// A failure to start or run the sandbox itself (not an error answered to a client).
public struct SandboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of what failed.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's stable text.
        public let rawValue: String
        /// The record file could not be opened for appending.
        public static let recordFileUnavailable = Code(rawValue: "record-file-unavailable")
        /// The listening socket could not be bound.
        public static let bindFailed = Code(rawValue: "bind-failed")
        /// A fault setting is unknown or out of range.
        public static let invalidFaults = Code(rawValue: "invalid-faults")

        /// The code's text.
        public var description: String { rawValue }
    }

    /// What failed.
    public let code: Code
    /// Context: the path or address involved, and the system's reason.
    public let message: String

    /// An error with `code` and `message`.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
