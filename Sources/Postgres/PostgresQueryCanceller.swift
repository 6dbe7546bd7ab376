internal import CLibPQ
internal import Foundation

/// The connection's cancel key, usable from any thread while the connection itself is busy.
///
/// `PQcancel` opens a second connection to the server and waits for it, so callers run it off the
/// cooperative pool. The lock keeps `PQfreeCancel` (on close) from racing a cancel in flight.
final class PostgresQueryCanceller: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?
    private var requested = false

    /// Takes the cancel key of a freshly opened connection.
    func install(connection: OpaquePointer) {
        let key = PQgetCancel(connection)
        lock.lock()
        if let old = cancel { PQfreeCancel(old) }
        cancel = key
        lock.unlock()
    }

    /// Drops the cancel key; later cancels do nothing.
    func release() {
        lock.lock()
        if let old = cancel { PQfreeCancel(old) }
        cancel = nil
        lock.unlock()
    }

    deinit {
        if let cancel { PQfreeCancel(cancel) }
    }

    /// Forgets an earlier request at the start of a statement, so only a cancel aimed at this statement
    /// turns its 57014 into `.queryCancelled`.
    func beginStatement() {
        lock.lock()
        requested = false
        lock.unlock()
    }

    /// Whether a cancel was requested since the statement began.
    var wasRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }

    /// Asks the server to cancel whatever the connection runs now; blocks for a network round trip.
    /// Returns whether the request was delivered (not whether anything was running).
    @discardableResult
    func cancelBlocking(markRequested: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let cancel else { return false }
        if markRequested { requested = true }
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(cancel, &buffer, Int32(buffer.count)) == 1
    }
}
