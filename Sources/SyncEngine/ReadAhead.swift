import Extractor
import SyncCore
import Synchronization

/// Reads one page ahead: while page n + 1 is being mapped, page n + 2 is being read, so that PostgreSQL
/// produces rows while the connector maps them instead of one waiting for the other.
///
/// Reads still happen one at a time and in order (a cursor needs that): the page after a position is
/// asked for only once the page ending there has arrived. `finish()` must be called when the reading
/// stops, early or not, so that no read outlives the run.
final class ReadAhead: Sendable {
    private let read: @Sendable (SyncPosition?) async throws -> ExtractedPage
    private let pending = Mutex<Pending?>(nil)

    private struct Pending: Sendable {
        var after: SyncPosition?
        var task: Task<ExtractedPage, any Error>
    }

    /// Pages come from `read`, which gives the page after a position (from the start for `nil`).
    init(_ read: @escaping @Sendable (SyncPosition?) async throws -> ExtractedPage) {
        self.read = read
    }

    /// The page after `position`: the one read ahead when it is that page, otherwise read now. Unless it
    /// is the last, or the caller has been cancelled (a run that stops leaves the page it was reading),
    /// the read of the page after it starts before this returns.
    func page(after position: SyncPosition?) async throws -> ExtractedPage {
        let ahead = pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
        var page: ExtractedPage?
        if let ahead {
            // The read is the caller's now: a caller cancelled while it waits cancels it (a throttled read
            // then stops waiting for its turn, as a read of its own would).
            let task = ahead.task
            if ahead.after == position {
                page = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            } else {
                // Not the page asked for (nothing asks so); let its read end before another starts.
                task.cancel()
                _ = try? await task.value
            }
        }
        let current: ExtractedPage
        if let page { current = page } else { current = try await read(position) }
        if !current.isLast, !Task.isCancelled {
            let read = self.read
            let after = current.end
            pending.withLock { $0 = Pending(after: after, task: Task { try await read(after) }) }
        }
        return current
    }

    /// Cancels a read still under way (a throttled one stops waiting for its turn), waits for it to end
    /// and drops its page.
    func finish() async {
        let ahead = pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
        ahead?.task.cancel()
        _ = try? await ahead?.task.value
    }
}
