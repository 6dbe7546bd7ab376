/// How a run ended.
public enum RunStatus: String, Sendable, Hashable, CaseIterable {
    /// Still going, or the process died (a later run sees it as such; `status` reports it).
    case running
    /// Every row was delivered.
    case succeeded
    /// Every row was dealt with, and some were rejected (recorded in the rejects table).
    case completedWithRejects = "completed_with_rejects"
    /// The run stopped on an error; checkpoints stand where the last acknowledged batch left them.
    case failed
    /// Stopped on request (a signal); checkpoints are valid.
    case interrupted
}

/// Counters of one stream within a run.
public struct StreamRunStats: Sendable, Hashable {
    public var rowsRead: Int = 0
    public var itemsSent: Int = 0
    public var itemsRejected: Int = 0
    public var requests: Int = 0
    /// Rows the mapping said to leave out (`if_empty: skip`).
    public var skipped: Int = 0

    /// All counters at zero.
    public init() {}

    public static func += (lhs: inout StreamRunStats, rhs: StreamRunStats) {
        lhs.rowsRead += rhs.rowsRead
        lhs.itemsSent += rhs.itemsSent
        lhs.itemsRejected += rhs.itemsRejected
        lhs.requests += rhs.requests
        lhs.skipped += rhs.skipped
    }
}
