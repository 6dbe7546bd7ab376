import APIContract
import Checkpoints
import Extractor
import Loader
import Logging
import Mapping
import Postgres
import SyncCore

/// One stream's part of a run: the extract → map → deliver → checkpoint pipeline.
///
/// Batches are numbered as they are formed and may be answered out of order; they are committed strictly
/// in order, so the checkpoint only ever covers the longest acknowledged prefix of rows.
final class StreamRun: @unchecked Sendable {
    let stream: StreamMapping
    let configuration: SyncConfiguration
    let store: CheckpointStore
    let client: APIClient
    let runID: Int64
    let logger: Logger
    /// Set when the stream failed in a way every later stream would share (credentials refused).
    private(set) var stoppedRun = false

    init(stream: StreamMapping, configuration: SyncConfiguration, store: CheckpointStore, client: APIClient, runID: Int64, logger: Logger) {
        self.stream = stream
        self.configuration = configuration
        self.store = store
        self.client = client
        self.runID = runID
        var logger = logger
        logger[metadataKey: "stream"] = "\(stream.name)"
        self.logger = logger
    }

    /// A batch formed from consecutive rows: the items to send and the rows refused before sending.
    struct Batch: Sendable {
        var sequence: Int
        var items: [JSONObject] = []
        var itemSources: [(key: String, watermark: String?)] = []
        var rejects: [RejectRecord] = []
        var rows = 0
        var end: SyncPosition?
    }

    /// The state of the pipeline while it runs.
    struct Progress {
        var stats = StreamRunStats()
        var batches = 0
        var position: SyncPosition?
        var nextToCommit = 0
        var answered: [Int: (Batch, Result<[ItemResult], DeliveryError>)] = [:]
        var failure: String?
    }

    func run() async -> StreamOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        var progress = Progress()
        var start: SyncPosition?
        var bound: String?
        var status = StreamOutcome.Status.failed
        var locked = false
        do {
            locked = try await store.tryLock(stream: stream.name)
            if !locked {
                status = .busy
                progress.failure = "another run is syncing this stream; try again when it ends"
            } else {
                start = try await store.position(of: stream.name)
                progress.position = start
                let source = try await PostgresConnection.connect(configuration.source)
                do {
                    bound = try await pipeline(source: source, progress: &progress)
                    await source.close()
                } catch {
                    await source.close()
                    throw error
                }
                if progress.failure == nil {
                    status = progress.stats.itemsRejected > 0 ? .completedWithRejects : .succeeded
                }
            }
        } catch {
            progress.failure = StreamRun.describe(error)
            if let delivery = error as? DeliveryError, delivery.stopsRun { stoppedRun = true }
        }
        if locked { try? await store.unlock(stream: stream.name) }
        let runStatus: RunStatus = switch status {
        case .succeeded: .succeeded
        case .completedWithRejects: .completedWithRejects
        case .failed, .busy: .failed
        }
        try? await store.recordStream(runID: runID, stream: stream.name, status: runStatus, stats: progress.stats,
                                      upperBound: bound, start: start, end: progress.position, error: progress.failure)
        if let failure = progress.failure {
            logger.error("stream stopped", metadata: ["error": "\(failure)", "status": "\(status.rawValue)"])
        } else {
            logger.info("stream finished", metadata: ["rows": "\(progress.stats.rowsRead)", "sent": "\(progress.stats.itemsSent)",
                                                      "rejected": "\(progress.stats.itemsRejected)"])
        }
        return StreamOutcome(stream: stream.name, target: stream.target.fileName, status: status, stats: progress.stats,
                             batches: progress.batches, start: start, end: progress.position, upperBound: bound,
                             error: progress.failure, duration: clock.now - started)
    }

    /// Errors as one line without secrets: our error types never carry them, and anything else is named by type.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as DeliveryError: "\(e)"
        case let e as PostgresError: "\(e)"
        case let e as MappingRuntimeError: "\(e)"
        case let e as ExtractionError: "\(e)"
        case let e as CheckpointError: "\(e)"
        default: "\(type(of: error)): \(error)"
        }
    }

    /// Extracts, maps and delivers everything up to the bound; returns the bound.
    private func pipeline(source: PostgresConnection, progress: inout Progress) async throws -> String? {
        let query = WatermarkQuery(relationSQL: stream.source.relationSQL, watermark: stream.source.watermark, key: stream.source.key)
        let extractor = WatermarkExtractor(connection: source, query: query, pageSize: configuration.pageSize)
        guard let bound = try await extractor.upperBound() else { return nil }
        let batchSize = stream.delivery == .single ? 1 : (stream.batchSize ?? configuration.defaultBatchSize)
        let maxInFlight = max(1, configuration.maxInFlightBatches)
        let client = self.client
        let entity: MetadataEntity = switch stream.target {
        case .metadata(let e): e
        }
        let batched = stream.delivery == .many

        try await withThrowingTaskGroup(of: (Batch, Result<[ItemResult], DeliveryError>).self) { group in
            var inFlight = 0
            var sequence = 0
            var mapper: RowMapper?
            var current = Batch(sequence: 0)
            var cursor = progress.position

            func settle(_ answer: (Batch, Result<[ItemResult], DeliveryError>)) async throws {
                inFlight -= 1
                progress.answered[answer.0.sequence] = answer
                while let (batch, result) = progress.answered.removeValue(forKey: progress.nextToCommit) {
                    progress.nextToCommit += 1
                    switch result {
                    case .success(let results):
                        if progress.failure == nil { try await commit(batch, results, &progress) }
                    case .failure(let error):
                        if progress.failure == nil {
                            progress.failure = StreamRun.describe(error)
                            if error.stopsRun { stoppedRun = true }
                        }
                    }
                }
            }

            func dispatch(_ batch: Batch) async throws {
                while inFlight >= maxInFlight, let answer = try await group.next() { try await settle(answer) }
                guard progress.failure == nil else { return }
                inFlight += 1
                if batch.items.isEmpty {
                    try await settle((batch, .success([])))
                    return
                }
                group.addTask {
                    do throws(DeliveryError) {
                        return (batch, .success(try await client.deliverMetadata(batch.items, entity: entity, batched: batched)))
                    } catch {
                        return (batch, .failure(error))
                    }
                }
            }

            pages: while progress.failure == nil {
                let page = try await extractor.page(after: cursor, upTo: bound)
                progress.stats.rowsRead += page.rows.count
                for row in page.rows {
                    if mapper == nil { mapper = try RowMapper(stream: stream, columns: row.columns) }
                    let m = mapper!
                    let key = m.key(of: row)
                    let watermark = m.watermark(of: row).sqlText
                    switch try m.map(row) {
                    case .item(let item):
                        current.items.append(item)
                        current.itemSources.append((key, watermark))
                    case .rejected(let rejection):
                        current.rejects.append(RejectRecord(stream: stream.name, sourceKey: key, watermark: watermark, eventID: nil,
                                                            payload: nil, stage: .mapping, field: rejection.field, httpStatus: nil,
                                                            error: "\(rejection.code): \(rejection.message)"))
                    }
                    current.rows += 1
                    current.end = SyncPosition(watermark: watermark ?? "", key: key)
                    if current.items.count >= batchSize || current.rejects.count >= batchSize {
                        try await dispatch(current)
                        sequence += 1
                        current = Batch(sequence: sequence)
                        if progress.failure != nil { break pages }
                    }
                }
                cursor = page.end ?? cursor
                if page.isLast { break }
            }
            if current.rows > 0, progress.failure == nil {
                try await dispatch(current)
            }
            while inFlight > 0, let answer = try await group.next() { try await settle(answer) }
        }
        return bound
    }

    /// Records an answered batch: API refusals become rejects, and the checkpoint moves past its last row.
    private func commit(_ batch: Batch, _ results: [ItemResult], _ progress: inout Progress) async throws {
        var rejects = batch.rejects
        var accepted = 0
        for (i, result) in results.enumerated() {
            if result.accepted {
                accepted += 1
                continue
            }
            let item = batch.items[i]
            rejects.append(RejectRecord(stream: stream.name, sourceKey: batch.itemSources[i].key, watermark: batch.itemSources[i].watermark,
                                        eventID: item["eventId"]?.stringValue, payload: .object(item), stage: .api, field: nil,
                                        httpStatus: result.status, error: result.error ?? "refused"))
        }
        try await store.commitBatch(stream: stream.name, runID: runID, position: batch.end, acknowledgedRows: batch.rows, rejects: rejects)
        progress.position = batch.end ?? progress.position
        progress.stats.itemsSent += accepted
        progress.stats.itemsRejected += rejects.count
        if !batch.items.isEmpty {
            progress.batches += 1
            progress.stats.requests += 1
        }
        logger.debug("batch committed", metadata: ["batch": "\(batch.sequence)", "items": "\(batch.items.count)",
                                                   "accepted": "\(accepted)", "rejected": "\(rejects.count)"])
    }
}
