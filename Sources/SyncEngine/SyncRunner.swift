import APIContract
public import Checkpoints
import Extractor
public import Loader
public import Logging
public import Mapping
import Postgres
import SyncCore

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
        let stateConnection = try await PostgresConnection.connect(configuration.state ?? configuration.source)
        defer { Task { [stateConnection] in await stateConnection.close() } }
        let store = try await CheckpointStore.open(connection: stateConnection, schemaName: configuration.stateSchema)
        let runID = try await store.startRun(kind: "sync", streams: selected.map(\.name))
        logger.info("sync run started", metadata: ["run": "\(runID)", "streams": "\(selected.count)"])

        var outcomes: [StreamOutcome] = []
        var fatal: String?
        do {
            try await APIClient.withClient(configuration.loader, logger: logger) { client in
                for stream in selected {
                    if let fatal {
                        outcomes.append(StreamOutcome(stream: stream.name, target: stream.target.fileName, status: .failed,
                                                      stats: StreamRunStats(), batches: 0, start: nil, end: nil, upperBound: nil,
                                                      error: "not run: \(fatal)", duration: .zero))
                        continue
                    }
                    let runner = StreamRun(stream: stream, configuration: configuration, store: store, client: client,
                                           runID: runID, logger: logger)
                    let outcome = await runner.run()
                    outcomes.append(outcome)
                    if outcome.status == .failed, runner.stoppedRun { fatal = outcome.error }
                }
            }
        } catch {
            try? await store.finishRun(id: runID, status: .failed, stats: StreamRunStats(), error: "\(error)")
            throw error
        }

        var totals = StreamRunStats()
        for o in outcomes { totals += o.stats }
        let status: RunStatus =
            outcomes.contains { $0.status == .failed || $0.status == .busy } ? .failed
            : totals.itemsRejected > 0 ? .completedWithRejects : .succeeded
        let errors = outcomes.compactMap { o in o.error.map { "\(o.stream): \($0)" } }
        try await store.finishRun(id: runID, status: status, stats: totals, error: errors.isEmpty ? nil : errors.joined(separator: "; "))
        logger.info("sync run finished", metadata: ["run": "\(runID)", "status": "\(status.rawValue)",
                                                    "rows": "\(totals.rowsRead)", "sent": "\(totals.itemsSent)",
                                                    "rejected": "\(totals.itemsRejected)"])
        return SyncReport(runID: runID, status: status, streams: outcomes, duration: clock.now - started)
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
