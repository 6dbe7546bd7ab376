import APIContract
import Checkpoints
import Extractor
import Loader
public import Logging
public import Mapping
import Postgres
import Synchronization
import SyncCore

/// What a backfill covers and how hard it may push the source.
public struct BackfillOptions: Sendable {
    /// The range's start (inclusive) and end (exclusive): timestamps (`2024-01-01`, ISO 8601) or whole numbers.
    public var from: String
    public var to: String
    /// Each window's size: a PostgreSQL interval (`1 day`, `6 hours`) for timestamps, a whole number otherwise.
    public var window: String
    /// Whether the watermark is numeric (windows of whole numbers) rather than a timestamp.
    public var numeric: Bool
    /// Windows read at once, each by its own worker with its own source connection. Default: 2.
    public var parallel: Int = 2
    /// A cap on source rows read per second over all workers. Default: `nil`, no cap.
    public var maxRowsPerSecond: Double?

    /// A backfill of `from`..<`to` in windows of `window`.
    public init(from: String, to: String, window: String, numeric: Bool) {
        self.from = from
        self.to = to
        self.window = window
        self.numeric = numeric
    }
}

/// How far a backfill is.
public struct BackfillProgress: Sendable {
    public var windowsDone: Int
    public var windowsTotal: Int
    public var rowsRead: Int
    public var itemsSent: Int
    public var itemsRejected: Int
    /// Rows the range held when the run started (for the ETA).
    public var rowsTotal: Int
    public var elapsed: Duration
}

/// How a backfill run ended.
public struct BackfillReport: Sendable {
    public enum Status: String, Sendable {
        /// Every window is done.
        case completed
        /// A stop was requested; unfinished windows resume from their progress next time.
        case interrupted
        /// A window failed; the others' progress is kept.
        case failed
    }

    public var backfillID: Int64
    public var resumed: Bool
    public var status: Status
    public var progress: BackfillProgress
    public var error: String?
}

/// A historical backfill of one metadata stream: its range cut into windows, a plan kept in PostgreSQL,
/// several windows read at once, each from its own progress, separate from the incremental checkpoint.
public struct BackfillRunner: Sendable {
    public let configuration: SyncConfiguration
    public let logger: Logger

    /// A runner for `configuration` that logs to `logger`.
    public init(configuration: SyncConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs (or resumes) the backfill of `streamName` over `options`' range; `report` is called with
    /// progress about twice a second.
    public func run(mapping: MappingFile, stream streamName: String, options: BackfillOptions,
                    report: @escaping @Sendable (BackfillProgress) -> Void) async throws -> BackfillReport {
        guard let stream = mapping.stream(named: streamName) else {
            throw SyncError(code: .unknownStream,
                            message: "stream '\(streamName)' is not in \(mapping.path); streams: \(mapping.streams.map(\.name).joined(separator: ", "))")
        }
        guard case .metadata(let entity) = stream.target else {
            throw SyncError(code: .unsupported, message: "backfill reads metadata streams; '\(streamName)' is \(stream.target.fileName)")
        }
        let state = try await PostgresConnection.connect(configuration.state ?? configuration.source)
        do {
            let result = try await run(stream: stream, entity: entity, options: options, state: state, report: report)
            await state.close()
            return result
        } catch {
            await state.close()
            throw error
        }
    }

    private func run(stream: StreamMapping, entity: MetadataEntity, options: BackfillOptions, state: PostgresConnection,
                     report: @escaping @Sendable (BackfillProgress) -> Void) async throws -> BackfillReport {
        let store = try await CheckpointStore.open(connection: state, schemaName: configuration.stateSchema)
        let plan = try await store.backfillPlan(stream: stream.name, from: options.from, to: options.to, window: options.window,
                                                numeric: options.numeric)
        guard try await store.tryLockBackfill(plan.id) else {
            throw SyncError(code: .busy, message: "backfill \(plan.id) of '\(stream.name)' is already running in another process")
        }
        let runID = try await store.startRun(kind: "backfill", streams: [stream.name])
        let pending = plan.windows.filter { !$0.done }
        logger.info("backfill started", metadata: ["backfill": "\(plan.id)", "stream": "\(stream.name)", "windows": "\(plan.windows.count)",
                                                   "pending": "\(pending.count)", "resumed": "\(plan.resumed)"])
        let tally = Tally(windowsTotal: plan.windows.count, done: plan.windows.filter(\.done), rowsTotal: 0)
        let source = try await PostgresConnection.connect(configuration.source)
        let query = WatermarkQuery(relationSQL: stream.source.relationSQL, watermark: stream.source.watermark, key: stream.source.key)
        let total = try await source.query(query.windowCountSQL, [PostgresBind(options.from), PostgresBind(options.to)])[0].decode(Int.self, at: 0)
        await source.close()
        tally.setRowsTotal(total)

        let queue = WindowQueue(pending)
        let throttle = options.maxRowsPerSecond.map { RowThrottle(rowsPerSecond: $0) }
        let clock = ContinuousClock()
        let started = clock.now
        let configuration = self.configuration
        let logger = self.logger

        try await APIClient.withClient(configuration.loader, logger: logger) { client in
            let context = RunContext(configuration: configuration, store: store, client: client, runID: runID, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, options.parallel) {
                    group.addTask {
                        let source = try await PostgresConnection.connect(configuration.source)
                        while tally.failure == nil, !context.stopRequested, let window = await queue.next() {
                            var run = StreamRun(stream: stream.name, section: stream.main, checkpoint: stream.name,
                                                kind: .metadata(entity, batched: stream.delivery == .many), context: context)
                            run.scope = .window(window)
                            run.throttle = throttle
                            run.onCommit = { rows, sent, rejected in tally.add(rows: rows, sent: sent, rejected: rejected) }
                            let result = await run.run(source: source)
                            if let error = result.failure {
                                tally.fail("window \(window.sequence) [\(window.from), \(window.to)): \(error)")
                                try? await store.finishWindow(window, error: error)
                            } else if !result.interrupted {
                                try await store.finishWindow(window, error: nil)
                                tally.windowDone()
                            }
                        }
                        await source.close()
                    }
                }
                // The reporter: progress twice a second until the workers are done.
                group.addTask {
                    while !Task.isCancelled {
                        report(tally.snapshot(elapsed: clock.now - started))
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                }
                var workers = max(1, options.parallel)
                while workers > 0 {
                    try await group.next()
                    workers -= 1
                }
                group.cancelAll()
            }
        }

        let completed = try await store.completeBackfillIfDone(plan.id)
        let progress = tally.snapshot(elapsed: clock.now - started)
        report(progress)
        let error = tally.failure
        let status: BackfillReport.Status = completed ? .completed : error != nil ? .failed : .interrupted
        let runStatus: RunStatus = switch status {
        case .completed: progress.itemsRejected > 0 ? .completedWithRejects : .succeeded
        case .interrupted: .interrupted
        case .failed: .failed
        }
        var stats = StreamRunStats()
        stats.rowsRead = progress.rowsRead
        stats.itemsSent = progress.itemsSent
        stats.itemsRejected = progress.itemsRejected
        try await store.finishRun(id: runID, status: runStatus, stats: stats, error: error)
        logger.info("backfill finished", metadata: ["backfill": "\(plan.id)", "status": "\(status.rawValue)", "rows": "\(progress.rowsRead)",
                                                    "sent": "\(progress.itemsSent)", "rejected": "\(progress.itemsRejected)"])
        return BackfillReport(backfillID: plan.id, resumed: plan.resumed, status: status, progress: progress, error: error)
    }
}

/// The windows still to do, handed out one at a time to the workers.
actor WindowQueue {
    private var windows: [BackfillWindow]

    init(_ windows: [BackfillWindow]) { self.windows = windows.reversed() }

    func next() -> BackfillWindow? { windows.popLast() }
}

/// Counters shared by the workers and the reporter.
final class Tally: Sendable {
    private struct Counts {
        var windowsDone = 0
        var rows = 0
        var sent = 0
        var rejected = 0
        var rowsTotal = 0
        var failure: String?
    }

    private let counts: Mutex<Counts>
    private let windowsTotal: Int

    /// Counters starting from the windows already done by earlier runs.
    init(windowsTotal: Int, done: [BackfillWindow], rowsTotal: Int) {
        self.windowsTotal = windowsTotal
        var c = Counts()
        c.windowsDone = done.count
        c.rowsTotal = rowsTotal
        counts = Mutex(c)
    }

    func setRowsTotal(_ n: Int) { counts.withLock { $0.rowsTotal = n } }

    /// Records the first failure; later ones are dropped (the first is what stopped the workers).
    func fail(_ message: String) { counts.withLock { if $0.failure == nil { $0.failure = message } } }

    /// The first failure, if any.
    var failure: String? { counts.withLock { $0.failure } }
    func windowDone() { counts.withLock { $0.windowsDone += 1 } }

    func add(rows: Int, sent: Int, rejected: Int) {
        counts.withLock {
            $0.rows += rows
            $0.sent += sent
            $0.rejected += rejected
        }
    }

    func snapshot(elapsed: Duration) -> BackfillProgress {
        counts.withLock { c in
            BackfillProgress(windowsDone: c.windowsDone, windowsTotal: windowsTotal, rowsRead: c.rows, itemsSent: c.sent,
                             itemsRejected: c.rejected, rowsTotal: c.rowsTotal, elapsed: elapsed)
        }
    }
}
