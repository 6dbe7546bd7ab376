public import SyncCore

/// One row that could not be delivered, as it is kept in the rejects table.
public struct RejectRecord: Sendable, Hashable {
    /// Where the row was refused.
    public enum Stage: String, Sendable, Hashable {
        /// Before sending: the mapping or the contract check refused it, so it was never sent.
        case mapping
        /// By the API.
        case api
    }

    public var stream: String
    /// The row's key, in its column's text form.
    public var sourceKey: String
    /// The row's watermark, in its column's text form.
    public var watermark: String?
    public var eventID: String?
    /// The item as mapped; `nil` when the row could not be mapped.
    public var payload: JSONValue?
    public var stage: Stage
    /// The target field at fault, when known.
    public var field: String?
    public var httpStatus: Int?
    public var error: String
    public var attempts: Int

    /// A reject record with every detail given.
    public init(stream: String, sourceKey: String, watermark: String?, eventID: String?, payload: JSONValue?,
                stage: Stage, field: String?, httpStatus: Int?, error: String, attempts: Int = 1) {
        self.stream = stream
        self.sourceKey = sourceKey
        self.watermark = watermark
        self.eventID = eventID
        self.payload = payload
        self.stage = stage
        self.field = field
        self.httpStatus = httpStatus
        self.error = error
        self.attempts = attempts
    }
}
