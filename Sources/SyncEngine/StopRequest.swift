import Synchronization

/// A request to stop, set from a signal handler and read by a running sync.
///
/// Setting it is async-signal-safe (one atomic add). A run that sees it starts no new page, batch or
/// conversation, lets the requests in flight finish and commits them, so it stops with a valid checkpoint.
public final class StopRequest: Sendable {
    private let count = Atomic<Int>(0)

    /// A request not yet made.
    public init() {}

    /// Records one request; returns how many have been made, so a second one can force an exit.
    @discardableResult
    public func request() -> Int {
        count.add(1, ordering: .sequentiallyConsistent).newValue
    }

    /// Whether a stop was requested.
    public var isRequested: Bool { count.load(ordering: .sequentiallyConsistent) > 0 }
}
