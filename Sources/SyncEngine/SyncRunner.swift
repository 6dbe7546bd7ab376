import APIContract
import Checkpoints
import Extractor
import Loader
public import Logging
public import Mapping
import Postgres
import SyncCore
import Synchronization

/// One incremental run over the streams of a mapping file: extract after each stream's checkpoint, map,
/// deliver, and move the checkpoint as the API acknowledges.
public struct SyncRunner: Sendable {
    public let configuration: SyncConfiguration
    public let logger: Logger

    /// A runner for `configuration` that logs to `logger`.
    public init(configuration: SyncConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the named streams (all when `names` is empty), one after another, and reports on each.
    ///
    /// A stream that fails does not stop the others, unless the API refused the credentials, which every
    /// stream would meet as well.
    public func run(mapping: MappingFile, streams names: [String] = []) async throws -> SyncReport {
        let selected = try SyncRunner.select(names, from: mapping)
        let clock = ContinuousClock()
        let started = clock.now
        let state = StateSession(configuration: configuration)
        // The first stream's source connection is opened while the state is set up (its schema checked
        // or created, the run recorded): neither waits for the other.
        let early = EarlyConnection(configuration.source)
        do {
            let report = try await run(selected, state: state, early: early)
            await early.discard()
            await state.close()
            return SyncReport(runID: report.runID, status: report.status, streams: report.streams, duration: clock.now - started)
        } catch {
            await early.discard()
            await state.close()
            throw error
        }
    }

    /// Attempts per stream when database connections drop, and the first wait between them.
    static let reconnectAttempts = 5
    static let reconnectBackoff: Duration = .milliseconds(500)

    private func run(_ selected: [StreamMapping], state: StateSession, early: EarlyConnection) async throws -> SyncReport {
        var store = try await state.store()
        let runID = try await store.startRun(kind: "sync", streams: selected.map(\.name))
        logger.info("sync run started", metadata: ["run": "\(runID)", "streams": "\(selected.count)"])

        var outcomes: [StreamOutcome] = []
        do {
            try await APIClient.withClient(configuration.loader, logger: logger) { client in
                var fatal: String?
                for stream in selected {
                    if configuration.stop?.isRequested == true {
                        outcomes.append(StreamOutcome(stream: stream.name, target: stream.target.fileName, status: .interrupted,
                                                      error: nil))
                        continue
                    }
                    if let fatal {
                        outcomes.append(StreamOutcome(stream: stream.name, target: stream.target.fileName, status: .failed,
                                                      error: "not run: \(fatal)"))
                        continue
                    }
                    var earlier: [StreamOutcome.Phase] = []
                    var attempt = 1
                    while true {
                        let context = RunContext(configuration: configuration, store: store, client: client, runID: runID, logger: logger)
                        var (outcome, stopsRun, lost) = await runStream(stream, context: context, early: early)
                        outcome.mergeEarlierAttempts(earlier)
                        if lost, attempt < SyncRunner.reconnectAttempts, configuration.stop?.isRequested != true {
                            // The stream resumes from what it committed; only the connections are new.
                            logger.warning("database connection lost; reconnecting", metadata: ["stream": "\(stream.name)", "attempt": "\(attempt)"])
                            try? await Task.sleep(for: SyncRunner.reconnectBackoff * (1 << (attempt - 1)))
                            if let renewed = try? await state.renewIfBroken() { store = renewed }
                            earlier = outcome.phases
                            attempt += 1
                            continue
                        }
                        outcomes.append(outcome)
                        if stopsRun { fatal = outcome.error }
                        break
                    }
                }
            }
        } catch {
            try? await store.finishRun(id: runID, status: .failed, stats: StreamRunStats(), error: RunContext.describe(error))
            throw error
        }

        var totals = StreamRunStats()
        for o in outcomes { totals += o.totals }
        let status: RunStatus =
            outcomes.contains { $0.status == .failed || $0.status == .busy } ? .failed
            : outcomes.contains { $0.status == .interrupted } ? .interrupted
            : totals.itemsRejected > 0 ? .completedWithRejects : .succeeded
        let errors = outcomes.compactMap { o in o.error.map { "\(o.stream): \($0)" } }
        try await store.finishRun(id: runID, status: status, stats: totals, error: errors.isEmpty ? nil : errors.joined(separator: "; "))
        logger.info("sync run finished", metadata: ["run": "\(runID)", "status": "\(status.rawValue)",
                                                    "rows": "\(totals.rowsRead)", "sent": "\(totals.itemsSent)",
                                                    "rejected": "\(totals.itemsRejected)"])
        return SyncReport(runID: runID, status: status, streams: outcomes, duration: .zero)
    }

    /// Runs one stream under its lock; returns its outcome, whether the whole run must stop, and whether
    /// it failed because a database connection was lost (and may be run again on new connections).
    private func runStream(_ stream: StreamMapping, context: RunContext, early: EarlyConnection) async -> (StreamOutcome, Bool, Bool) {
        let clock = ContinuousClock()
        let started = clock.now
        var outcome = StreamOutcome(stream: stream.name, target: stream.target.fileName, status: .failed)
        var stopsRun = false
        let store = context.store
        var locked = false
        var interrupted = false
        var lost = false
        do {
            locked = try await store.tryLock(stream: stream.name)
            if !locked, configuration.waitForLock {
                logger.notice("another run holds the stream; waiting for it", metadata: ["stream": "\(stream.name)"])
                while !locked, configuration.stop?.isRequested != true {
                    try? await Task.sleep(for: .seconds(1))
                    locked = try await store.tryLock(stream: stream.name)
                }
            }
            guard locked else {
                outcome.status = .busy
                outcome.error = "another run is syncing this stream; try again when it ends"
                outcome.duration = clock.now - started
                return (outcome, false, false)
            }
            let opened = try await early.take()
            let source = if let opened { opened } else { try await PostgresConnection.connect(configuration.source) }
            var phases: [(String, PhaseResult)] = []
            switch stream.target {
            case .metadata(let entity):
                let run = StreamRun(stream: stream.name, section: stream.main, checkpoint: stream.name,
                                    kind: .metadata(entity, batched: stream.delivery == .many), context: context)
                phases.append((stream.name, await run.run(source: source)))
            case .transcripts:
                let conversations = "\(stream.name):conversations"
                let run = StreamRun(stream: stream.name, section: stream.main, checkpoint: conversations, kind: .conversations, context: context)
                let first = await run.run(source: source)
                phases.append((conversations, first))
                if first.failure == nil, !first.interrupted, let messages = stream.messages {
                    let checkpoint = "\(stream.name):messages"
                    let messageRun = MessageRun(stream: stream.name, messages: messages, checkpoint: checkpoint,
                                                conversationStream: stream.name, context: context)
                    phases.append((checkpoint, await messageRun.run(source: source)))
                }
            }
            await source.close()
            for (checkpoint, phase) in phases {
                outcome.phases.append(StreamOutcome.Phase(name: checkpoint, stats: phase.stats, batches: phase.batches,
                                                          start: phase.start, end: phase.end, upperBound: phase.bound))
                if outcome.error == nil, let failure = phase.failure { outcome.error = failure }
                interrupted = interrupted || phase.interrupted
                lost = lost || phase.connectionLost
                stopsRun = stopsRun || phase.stopsRun
                try? await store.recordStream(runID: context.runID, stream: checkpoint,
                                              status: phase.failure != nil ? .failed : phase.interrupted ? .interrupted
                                                  : phase.stats.itemsRejected > 0 ? .completedWithRejects : .succeeded,
                                              stats: phase.stats, upperBound: phase.bound, start: phase.start, end: phase.end, error: phase.failure)
            }
            outcome.status = outcome.error != nil ? .failed : interrupted ? .interrupted
                : outcome.totals.itemsRejected > 0 ? .completedWithRejects : .succeeded
        } catch {
            outcome.error = RunContext.describe(error)
            lost = StateSession.isReconnectable(error)
        }
        if locked { try? await store.unlock(stream: stream.name) }
        outcome.duration = clock.now - started
        if let error = outcome.error {
            logger.error("stream stopped", metadata: ["stream": "\(stream.name)", "error": "\(error)", "status": "\(outcome.status.rawValue)"])
        } else {
            let t = outcome.totals
            logger.info("stream finished", metadata: ["stream": "\(stream.name)", "rows": "\(t.rowsRead)", "sent": "\(t.itemsSent)",
                                                      "rejected": "\(t.itemsRejected)"])
        }
        return (outcome, stopsRun, lost)
    }

    /// The streams called `names`, in file order; all of them when `names` is empty.
    static func select(_ names: [String], from mapping: MappingFile) throws -> [StreamMapping] {
        if names.isEmpty { return mapping.streams }
        for name in names where mapping.stream(named: name) == nil {
            throw SyncError(code: .unknownStream,
                            message: "stream '\(name)' is not in \(mapping.path); streams: \(mapping.streams.map(\.name).joined(separator: ", "))")
        }
        return mapping.streams.filter { names.contains($0.name) }
    }
}

/// A source connection opened ahead of its first use. The first stream to ask takes it (and meets its
/// error, if opening it failed, as it would have when opening its own); a connection nobody took is
/// closed.
final class EarlyConnection: Sendable {
    private let pending: Mutex<Task<PostgresConnection, any Error>?>

    /// Starts opening a connection to `configuration`.
    init(_ configuration: PostgresConfiguration) {
        pending = Mutex(Task { try await PostgresConnection.connect(configuration) })
    }

    /// The connection, the first time; nil after that.
    func take() async throws -> PostgresConnection? {
        try await claim()?.value
    }

    /// Closes the connection unless it was taken.
    func discard() async {
        await (try? await claim()?.value)?.close()
    }

    /// The opening under way, once: nobody else gets it after.
    private func claim() -> Task<PostgresConnection, any Error>? {
        pending.withLock { pending in
            defer { pending = nil }
            return pending
        }
    }
}
