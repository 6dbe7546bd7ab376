internal import Foundation

/// A serial executor that runs its jobs on one dedicated thread.
///
/// libpq's calls block: connecting, sending, waiting for results. Running them on Swift's cooperative pool
/// would starve it (two cores here means two stalled queries freeze every task), so each connection owns a
/// thread and its actor runs there. The thread exists only while there is work or the owner is alive:
/// `retire()` lets it end once the queue is empty, and a job arriving afterwards starts a fresh one, so a
/// closed connection never strands a caller and never keeps a thread.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var thread: Thread?
    private var retired = false

    private let name: String

    /// An executor whose thread is named `name` (visible in debuggers and `top -H`).
    init(name: String) {
        self.name = name
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        if thread == nil {
            let thread = Thread { [self] in run() }
            thread.name = name
            self.thread = thread
            thread.start()
        } else {
            condition.signal()
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        condition.lock()
        let current = thread
        condition.unlock()
        precondition(current != nil && Thread.current === current, "not on the connection's thread")
    }

    /// Lets the thread end as soon as it has no queued work.
    func retire() {
        condition.lock()
        retired = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let executor = asUnownedSerialExecutor()
        var batch: [UnownedJob] = []
        condition.lock()
        while true {
            while jobs.isEmpty && !retired {
                condition.wait()
            }
            if jobs.isEmpty {
                thread = nil
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch {
                job.runSynchronously(on: executor)
            }
            batch.removeAll(keepingCapacity: true)
            condition.lock()
        }
    }
}
