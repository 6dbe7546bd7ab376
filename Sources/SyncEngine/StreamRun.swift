import APIContract
import Checkpoints
import Extractor
import Foundation
import Loader
import Logging
import Mapping
import Postgres
import SyncCore

/// What one phase of a stream did: rows read and delivered between two checkpoint positions.
struct PhaseResult: Sendable {
    var stats = StreamRunStats()
    var batches = 0
    var start: SyncPosition?
    var end: SyncPosition?
    var bound: String?
    /// Why the phase stopped early, without secrets or row contents.
    var failure: String?
    /// Set when the failure is one every later stream would meet too (credentials refused).
    var stopsRun = false
    /// Set when a stop was requested and the phase ended early, cleanly, at a committed batch.
    var interrupted = false
    /// Set when the phase failed because a database connection was lost: the stream can be run again
    /// on new connections, from its committed progress.
    var connectionLost = false
}

/// One section of a stream in a run: the extract → map → deliver → checkpoint pipeline over rows in
/// watermark order, for metadata items and for conversations.
///
/// Batches are numbered as they are formed and may be answered out of order; they are committed strictly
/// in order, so the checkpoint only ever covers the longest acknowledged prefix of rows.
struct StreamRun: Sendable {
    /// How a batch reaches the API.
    enum Kind: Sendable {
        /// Metadata items, in one `many-*` request (`batched`) or one `single-*` request each.
        case metadata(MetadataEntity, batched: Bool)
        /// Conversations, one create-or-update request each; the API's ids are kept.
        case conversations
    }

    /// Which rows the phase reads and where it keeps its progress.
    enum Scope: Sendable {
        /// After the stream's checkpoint up to the run's bound; progress in the checkpoint.
        case incremental
        /// One backfill window; progress in the window's row of the plan.
        case window(BackfillWindow)
    }

    let stream: String
    let section: MappingSection
    /// The checkpoint this phase moves (the stream name, or `stream:conversations`).
    let checkpoint: String
    let kind: Kind
    let context: RunContext
    var scope: Scope = .incremental
    /// Shared by a backfill's workers to keep the source's read rate under a cap.
    var throttle: RowThrottle?
    /// Told of every committed batch: rows, items accepted, rows rejected.
    var onCommit: (@Sendable (Int, Int, Int) -> Void)?

    /// A batch formed from consecutive rows: the items to send and the rows refused before sending.
    struct Batch: Sendable {
        var sequence: Int
        var items: [EncodedJSON] = []
        var itemSources: [ItemSource] = []
        var rejects: [RejectRecord] = []
        var skipped = 0
        var rows = 0
        /// The key and watermark of the batch's last row: where the checkpoint moves once it is answered.
        var last: (key: String, watermark: SourceValue)?

        /// The position after the batch's last row.
        var end: SyncPosition? { last.map { SyncPosition(watermark: $0.watermark.sqlText ?? "", key: $0.key) } }
    }

    /// The row an item came from. The watermark stays a value until a reject needs its text: formatting
    /// it for every row would cost more than mapping some rows.
    struct ItemSource: Sendable {
        var key: String
        var watermark: SourceValue
    }

    typealias Answer = (Batch, Result<[ItemResult], DeliveryError>)

    /// The state of the pipeline while it runs.
    struct Progress {
        var result = PhaseResult()
        var nextToCommit = 0
        var answered: [Int: Answer] = [:]
        /// Set as soon as any answer is a failure, even one not yet next in commit order: no new batch is
        /// sent after it (a refused credential would be refused again by every one).
        var halted = false
    }

    func run(source: PostgresConnection) async -> PhaseResult {
        var progress = Progress()
        do {
            switch scope {
            case .incremental: progress.result.start = try await context.store.position(of: checkpoint)
            case .window(let window): progress.result.start = window.position
            }
            progress.result.end = progress.result.start
            try await pipeline(source: source, progress: &progress)
        } catch {
            if progress.result.failure == nil { progress.result.failure = RunContext.describe(error) }
            if let delivery = error as? DeliveryError, delivery.stopsRun { progress.result.stopsRun = true }
            if StateSession.isReconnectable(error) { progress.result.connectionLost = true }
        }
        return progress.result
    }

    private func deliver(_ batch: Batch) async -> Result<[ItemResult], DeliveryError> {
        do throws(DeliveryError) {
            switch kind {
            case .metadata(let entity, batched: true):
                return .success(try await context.client.deliverMetadata(batch.items, entity: entity, batched: true))
            case .metadata(let entity, batched: false):
                return .success(try await sendEach(batch.items) { client, item throws(DeliveryError) in
                    try await client.deliverMetadata([item], entity: entity, batched: false)[0]
                })
            case .conversations:
                return .success(try await sendEach(batch.items) { client, item throws(DeliveryError) in
                    try await client.createConversation(item)
                })
            }
        } catch {
            return .failure(error)
        }
    }

    /// Items per batch of a stream that sends one item per request (conversations to create, metadata
    /// with `delivery: single`): each is its own request, but the batch commits in one transaction, so
    /// the state database sees one commit per 32 items instead of one per item. 32: at 8 the state
    /// database's commits were a quarter of the conversation phase's time; with one item a batch and 32
    /// in flight, a `delivery: single` stream was bound by its commits (5,005 agents in 4.6 s at 20 ms an
    /// answer as at none; 3.3 and 0.37 s in batches of 32). After a crash the batches in flight are sent
    /// again: an update of the same conversation or item, and a batch takes a few milliseconds, so a run
    /// that keeps crashing still moves.
    static let itemsPerSingleBatch = 32
    /// Requests of one such batch in flight at once (times the batches in flight), unless
    /// `smallRequestsInFlight` is lower.
    static let requestsPerSingleBatch = 4

    /// Sends `items` one request each with a few in flight; results in the items' order. When one fails
    /// to be delivered, the whole batch counts as not delivered (each item is an update by its external
    /// id, so sending it again is harmless).
    private func sendEach(_ items: [EncodedJSON],
                          _ send: @escaping @Sendable (APIClient, EncodedJSON) async throws(DeliveryError) -> ItemResult)
        async throws(DeliveryError) -> [ItemResult] {
        let client = context.client
        let width = min(StreamRun.requestsPerSingleBatch, max(1, context.configuration.smallRequestsInFlight))
        func start(_ index: Int, in group: inout TaskGroup<SingleAnswer>) {
            let item = items[index]
            group.addTask {
                do throws(DeliveryError) {
                    return SingleAnswer(index: index, result: try await send(client, item), failure: nil)
                } catch {
                    return SingleAnswer(index: index, result: nil, failure: error)
                }
            }
        }
        let answers = await withTaskGroup(of: SingleAnswer.self, returning: [SingleAnswer].self) { group in
            var answers: [SingleAnswer] = []
            answers.reserveCapacity(items.count)
            var next = 0
            while next < min(width, items.count) {
                start(next, in: &group)
                next += 1
            }
            while let answer = await group.next() {
                answers.append(answer)
                if answer.failure == nil, next < items.count {
                    start(next, in: &group)
                    next += 1
                }
            }
            return answers
        }
        // Keep a refusal of the credentials over other failures, else the first.
        if let failure = answers.first(where: { $0.failure?.stopsRun == true })?.failure ?? answers.first(where: { $0.failure != nil })?.failure {
            throw failure
        }
        // Without a failure every item was sent and answered.
        var results = [ItemResult?](repeating: nil, count: items.count)
        for answer in answers { results[answer.index] = answer.result }
        return results.compactMap { $0 }
    }

    /// One single request's outcome, by the item's position in its batch.
    struct SingleAnswer: Sendable {
        var index: Int
        var result: ItemResult?
        var failure: DeliveryError?
    }

    private func pipeline(source: PostgresConnection, progress: inout Progress) async throws {
        let query = WatermarkQuery(relationSQL: section.source.relationSQL, watermark: section.source.watermark, key: section.source.key)
        let extractor = WatermarkExtractor(connection: source, query: query, pageSize: context.configuration.pageSize)
        let range: ReadRange
        switch scope {
        case .incremental:
            // A cursor read's watermark has no index to find its highest value with (see upperBound).
            guard let bound = try await context.upperBound(extractor, stream: stream, findHighest: section.source.read != .cursor) else { return }
            progress.result.bound = bound
            range = .upTo(bound)
        case .window(let window):
            range = .window(from: window.from, to: window.to)
        }
        let batchSize: Int = switch kind {
        case .metadata(_, batched: true): section.batchSize ?? context.configuration.defaultBatchSize
        case .metadata(_, batched: false), .conversations: StreamRun.itemsPerSingleBatch
        }
        // A batch of single requests sends up to `requestsPerSingleBatch` of them at once.
        let maxInFlight: Int = switch kind {
        case .metadata(_, batched: true): max(1, context.configuration.maxInFlightBatches)
        case .metadata(_, batched: false), .conversations:
            max(1, context.configuration.smallRequestsInFlight / StreamRun.requestsPerSingleBatch)
        }
        let reader = section.source.read == .cursor ? extractor.cursor(after: progress.result.start, in: range) : nil
        let pageSize = context.configuration.pageSize
        let throttle = self.throttle
        let ahead = ReadAhead { position in
            await throttle?.acquire(pageSize)
            if let reader { return try await reader.next() }
            return try await extractor.page(after: position, in: range)
        }
        // The read under way ends before the cursor's transaction does.
        do {
            try await deliverPages(ahead, batchSize: batchSize, maxInFlight: maxInFlight, progress: &progress)
        } catch {
            await ahead.finish()
            await reader?.close()
            throw error
        }
        await ahead.finish()
        await reader?.close()
    }

    /// Reads (through `ahead`), maps and sends the range page by page, keeping up to `maxInFlight` batches
    /// in flight and committing their answers in order.
    private func deliverPages(_ ahead: ReadAhead, batchSize: Int, maxInFlight: Int, progress: inout Progress) async throws {
        try await withThrowingTaskGroup(of: Answer.self) { group in
            var inFlight = 0
            var sequence = 0
            var mappers: [RowMapper] = []
            var current = Batch(sequence: 0)
            var cursor = progress.result.start

            func settle(_ answer: Answer) async throws {
                inFlight -= 1
                if case .failure = answer.1 { progress.halted = true }
                progress.answered[answer.0.sequence] = answer
                while let (batch, result) = progress.answered.removeValue(forKey: progress.nextToCommit) {
                    progress.nextToCommit += 1
                    guard progress.result.failure == nil else { continue }
                    switch result {
                    case .success(let results):
                        try await commit(batch, results, &progress.result)
                    case .failure(let error):
                        progress.result.failure = RunContext.describe(error)
                        progress.result.stopsRun = error.stopsRun
                    }
                }
            }

            func dispatch(_ batch: Batch) async throws {
                while inFlight >= maxInFlight, let answer = try await group.next() { try await settle(answer) }
                guard progress.result.failure == nil, !progress.halted else { return }
                inFlight += 1
                if batch.items.isEmpty {
                    try await settle((batch, .success([])))
                } else {
                    group.addTask { (batch, await deliver(batch)) }
                }
            }

            let section = self.section
            let stream = self.stream
            let executors = context.configuration.mappingExecutors
            // A page read and mapped: the rows themselves are not kept once mapped. The page after it is
            // read meanwhile (see ReadAhead).
            @Sendable func readAndMap(after position: SyncPosition?, with known: [RowMapper]) async throws -> MappedPage {
                let page = try await ahead.page(after: position)
                var mappers = known
                if mappers.isEmpty, let first = page.rows.first {
                    mappers = try StreamRun.mappers(section: section, stream: stream, columns: first.columns)
                }
                return MappedPage(rowCount: page.rows.count, end: page.end, isLast: page.isLast, mappers: mappers,
                                  rows: try await StreamRun.map(page.rows, with: mappers, executors: executors))
            }
            var upcoming: MappedPage?
            pages: while progress.result.failure == nil, !progress.halted {
                if context.stopRequested {
                    progress.result.interrupted = true
                    break pages
                }
                let page: MappedPage
                if let upcoming { page = upcoming } else { page = try await readAndMap(after: cursor, with: mappers) }
                upcoming = nil
                mappers = page.mappers
                progress.result.stats.rowsRead += page.rowCount
                let after = page.end ?? cursor
                // The next page is mapped (and the one after it read) while this one's batches are sent (and
                // wait for room in flight), so the database's work, the mapping and the API's overlap; at most
                // three pages are held. Mapping has no effect outside the connector: a row mapped ahead of a
                // stop is simply not sent, and its checkpoint never moves.
                let known = mappers
                async let next: MappedPage? = page.isLast ? nil : readAndMap(after: after, with: known)
                for row in page.rows {
                    switch row.outcome {
                    case .item(let item):
                        current.items.append(item)
                        current.itemSources.append(ItemSource(key: row.key, watermark: row.watermark))
                    case .rejected(let rejection):
                        current.rejects.append(RejectRecord(stream: checkpoint, sourceKey: row.key, watermark: row.watermark.sqlText, eventID: nil,
                                                            payload: nil, stage: .mapping, field: rejection.field, httpStatus: nil,
                                                            error: "\(rejection.code): \(rejection.message)"))
                    case .skipped:
                        current.skipped += 1
                    }
                    current.rows += 1
                    current.last = (row.key, row.watermark)
                    if current.items.count >= batchSize || current.rows - current.items.count >= context.configuration.pageSize {
                        try await dispatch(current)
                        sequence += 1
                        current = Batch(sequence: sequence)
                        if progress.result.failure != nil || progress.halted { break pages }
                        if context.stopRequested {
                            progress.result.interrupted = true
                            break pages
                        }
                    }
                }
                cursor = after
                upcoming = try await next
                if page.isLast { break }
            }
            if current.rows > 0, progress.result.failure == nil, !progress.result.interrupted {
                try await dispatch(current)
            }
            while inFlight > 0, let answer = try await group.next() { try await settle(answer) }
        }
    }

    /// A page as mapped, with what the loop needs of the page itself.
    struct MappedPage: Sendable {
        var rowCount: Int
        var end: SyncPosition?
        var isLast: Bool
        /// The mappers, made from the first page with rows (its columns): one per mapping task.
        var mappers: [RowMapper]
        var rows: [MappedRow]
    }

    /// One row as mapped: its key, what it became, and its watermark.
    struct MappedRow: Sendable {
        var key: String
        var outcome: RowOutcome
        var watermark: SourceValue
    }

    /// Tasks a page is mapped by: the connector's cores, at most 4. Mapping is most of the connector's
    /// own work on metadata streams, and on one task it was the pipeline's slowest stage.
    static let mappingTasks = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// Fewer rows than this are mapped on the calling task: splitting them costs more than it saves.
    static let rowsPerMappingTask = 256

    /// One mapper per mapping task, each made on its own. Tasks that shared one mapper would run up and
    /// down the same reference counts (its fields, their specs and tables) from two cores at once, and a
    /// count that two cores keep taking from each other costs many times a local one. On the customer
    /// stream, `swift_retain` called from the mapper took 7% of the connector's samples with one shared
    /// mapper and 2% with one each.
    static func mappers(section: MappingSection, stream: String, columns: SourceColumns, tasks: Int = mappingTasks) throws -> [RowMapper] {
        try (0..<max(1, tasks)).map { _ in try RowMapper(section: section, streamName: stream, columns: columns) }
    }

    /// Maps `rows` in order, split over `mappingTasks` tasks when there are enough of them; the `part`-th
    /// slice is mapped by `mapper(for: part, in: mappers)` on `executor(for: part, in: executors)`, so a
    /// mapper stays on one thread.
    ///
    /// - Parameter executors: where the tasks prefer to run, one after another (empty: wherever the global
    ///   executor puts them). An executor that keeps child tasks on their parent's thread would run the
    ///   parts one after another; these spread them.
    static func map(_ rows: [SourceRow], with mappers: [RowMapper], tasks: Int = mappingTasks,
                    executors: [any TaskExecutor] = []) async throws -> [MappedRow] {
        guard !mappers.isEmpty, !rows.isEmpty else { return [] }
        @Sendable func mapSlice(_ slice: ArraySlice<SourceRow>, _ mapper: RowMapper) throws(MappingRuntimeError) -> [MappedRow] {
            var out: [MappedRow] = []
            out.reserveCapacity(slice.count)
            for row in slice {
                let key = mapper.key(of: row)
                out.append(MappedRow(key: key, outcome: try mapper.map(row, key: key), watermark: mapper.watermark(of: row)))
            }
            return out
        }
        let parts = min(tasks, rows.count / rowsPerMappingTask)
        guard parts > 1 else { return try mapSlice(rows[...], mappers[0]) }
        let size = (rows.count + parts - 1) / parts
        return try await withThrowingTaskGroup(of: (Int, [MappedRow]).self) { group in
            for part in 0..<parts {
                let slice = rows[(part * size)..<min(rows.count, (part + 1) * size)]
                let mapper = StreamRun.mapper(for: part, in: mappers)
                group.addTask(executorPreference: StreamRun.executor(for: part, in: executors)) { (part, try mapSlice(slice, mapper)) }
            }
            var pieces = [[MappedRow]](repeating: [], count: parts)
            for try await (part, piece) in group { pieces[part] = piece }
            return Array(pieces.joined())
        }
    }

    /// The executor the `task`-th of several mapping tasks prefers: the given ones in turn, or none.
    static func executor(for task: Int, in executors: [any TaskExecutor]) -> (any TaskExecutor)? {
        executors.isEmpty ? nil : executors[task % executors.count]
    }

    /// The mapper of the `task`-th of several mapping tasks: the given ones in turn, as `executor(for:in:)`
    /// picks executors, so a task's mapper and its thread go together.
    static func mapper(for task: Int, in mappers: [RowMapper]) -> RowMapper {
        mappers[task % mappers.count]
    }

    /// Records an answered batch: API refusals become rejects, and the checkpoint moves past its last row.
    private func commit(_ batch: Batch, _ results: [ItemResult], _ result: inout PhaseResult) async throws {
        var rejects = batch.rejects
        var created: [(sourceKey: String, externalID: String, asappID: String)] = []
        var accepted = 0
        for (i, itemResult) in results.enumerated() {
            let item = batch.items[i]
            if itemResult.accepted {
                accepted += 1
                if let id = itemResult.returnedID {
                    created.append((batch.itemSources[i].key, item["externalId"]?.stringValue ?? "", id))
                }
                continue
            }
            let payload = item.value
            rejects.append(RejectRecord(stream: checkpoint, sourceKey: batch.itemSources[i].key, watermark: batch.itemSources[i].watermark.sqlText,
                                        eventID: payload?["eventId"]?.stringValue, payload: payload, stage: .api, field: nil,
                                        httpStatus: itemResult.status, error: itemResult.error ?? "refused"))
        }
        switch (kind, scope) {
        case (_, .window(let window)):
            try await context.store.commitWindowBatch(window, runID: context.runID, position: batch.end, rows: batch.rows,
                                                      sent: accepted, rejects: rejects)
        case (.metadata, .incremental):
            try await context.store.commitBatch(stream: checkpoint, runID: context.runID, position: batch.end,
                                                acknowledgedRows: batch.rows, rejects: rejects)
        case (.conversations, .incremental):
            try await context.store.commitConversations(stream: stream, checkpoint: checkpoint, runID: context.runID, position: batch.end,
                                                        acknowledgedRows: batch.rows, created: created, rejects: rejects)
        }
        onCommit?(batch.rows, accepted, rejects.count)
        result.end = batch.end ?? result.end
        result.stats.itemsSent += accepted
        result.stats.itemsRejected += rejects.count
        result.stats.skipped += batch.skipped
        if !batch.items.isEmpty {
            result.batches += 1
            switch kind {
            case .metadata(_, let batched): result.stats.requests += batched ? 1 : batch.items.count
            case .conversations: result.stats.requests += batch.items.count
            }
        }
        context.logger.debug("batch committed", metadata: ["stream": "\(stream)", "batch": "\(batch.sequence)", "items": "\(batch.items.count)",
                                                           "accepted": "\(accepted)", "rejected": "\(rejects.count)"])
    }
}

/// What every phase of a run shares.
struct RunContext: Sendable {
    let configuration: SyncConfiguration
    let store: CheckpointStore
    let client: APIClient
    let runID: Int64
    let logger: Logger

    /// Whether a stop was requested.
    var stopRequested: Bool { configuration.stop?.isRequested ?? false }

    /// The run's bound for `extractor` under the configured policy, with warnings when it is held back.
    func upperBound(_ extractor: WatermarkExtractor, stream: String, findHighest: Bool = true) async throws -> String? {
        let bound = try await extractor.upperBound(policy: configuration.bound, findHighest: findHighest)
        if !bound.canSeeAllTransactions {
            logger.warning("cannot see other roles' open transactions; rows they commit late can be missed",
                           metadata: ["stream": "\(stream)", "fix": "GRANT pg_read_all_stats TO the connector's role"])
        }
        if bound.heldByTransaction, let age = bound.oldestTransactionAge, age > 300 {
            logger.warning("an open transaction holds the watermark back",
                           metadata: ["stream": "\(stream)", "age_seconds": "\(Int(age))"])
        }
        return bound.value
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
}
