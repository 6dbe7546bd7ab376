import APIContract
public import Checkpoints
import Loader
public import Logging
public import Mapping
import Postgres
import SyncCore

/// Retries open rejects with the mapping in force now: reads each reject's source row again by its key,
/// maps it, sends what now maps and passes the contract, and marks those rejects resolved. A reject that
/// fails again stays open with one more attempt and the new reason.
///
/// Every part of a stream is supported: metadata streams, and a transcripts stream's conversations and
/// messages (a message goes to its conversation's API id, so a conversation whose reject is retried in
/// the same call is created first). The stream's lock is held while its rejects are retried, so a sync of
/// the same stream cannot run at the same time. Retried messages reach the API after messages sent since;
/// they carry their own timestamps.
public struct RejectRetry: Sendable {
    /// What one checkpoint part's rejects came to.
    public struct Part: Sendable, Hashable {
        /// The checkpoint name the rejects are filed under (`stream`, `stream:conversations`, `stream:messages`).
        public var name: String
        /// Open rejects considered.
        public var considered = 0
        /// Delivered and marked resolved.
        public var resolved = 0
        /// Marked resolved without sending because the mapping now skips the row (`if_empty: skip`).
        public var skipped = 0
        /// Still failing (mapping, contract or API), with one more attempt recorded.
        public var failedAgain = 0
        /// Whose source row is gone; still open, with one more attempt recorded.
        public var missing = 0
        /// Why the part stopped early (the API unreachable, another run holding the stream), if it did.
        public var error: String?
    }

    /// What a retry did, part by part.
    public struct Report: Sendable {
        /// The run recorded in the runs table for this retry.
        public var runID: Int64
        /// Per checkpoint part, in mapping order.
        public var parts: [Part]
        /// How the retry ended: `succeeded` when every reject considered was resolved,
        /// `completedWithRejects` when some still fail, `failed` when a part stopped early.
        public var status: RunStatus

        /// The sum over the parts.
        public var resolved: Int { parts.reduce(0) { $0 + $1.resolved + $1.skipped } }
        /// Rejects still open after the retry, among those considered.
        public var stillOpen: Int { parts.reduce(0) { $0 + $1.failedAgain + $1.missing } }
    }

    /// Where to read, where to send, where the state lives.
    public let configuration: SyncConfiguration
    /// Fixed messages with metadata; never row contents or secrets.
    public let logger: Logger

    /// A retrier for `configuration` that logs to `logger`.
    public init(configuration: SyncConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Retries the open rejects `filter` selects (its `status` is ignored: only open rejects are retried)
    /// of the streams in `mapping`.
    ///
    /// - Throws: `DeliveryError` when the API refuses the credentials (nothing more is tried), database
    ///   and configuration errors; a reject whose stream is not in `mapping` is a `SyncError`.
    public func run(mapping: MappingFile, filter: CheckpointStore.RejectFilter) async throws -> Report {
        let stateConnection = try await PostgresConnection.connect(configuration.state ?? configuration.source)
        do {
            let report = try await run(mapping: mapping, filter: filter, stateConnection: stateConnection)
            await stateConnection.close()
            return report
        } catch {
            await stateConnection.close()
            throw error
        }
    }

    private func run(mapping: MappingFile, filter: CheckpointStore.RejectFilter, stateConnection: PostgresConnection) async throws -> Report {
        let store = try await CheckpointStore.open(connection: stateConnection, schemaName: configuration.stateSchema)
        var open = filter
        open.status = .open
        let rejects = try await store.rejects(open)
        var byPart: [String: [CheckpointStore.StoredReject]] = [:]
        for reject in rejects { byPart[reject.record.stream, default: []].append(reject) }

        // Parts in mapping order; a transcripts stream's conversations before its messages.
        var plan: [(stream: StreamMapping, part: PartKind, name: String)] = []
        for stream in mapping.streams {
            switch stream.target {
            case .metadata(let entity):
                plan.append((stream, .metadata(entity, batched: stream.delivery == .many), stream.name))
            case .transcripts:
                plan.append((stream, .conversations, "\(stream.name):conversations"))
                if stream.messages != nil { plan.append((stream, .messages, "\(stream.name):messages")) }
            }
        }
        let planned = Set(plan.map(\.name))
        if let stray = byPart.keys.sorted().first(where: { !planned.contains($0) }) {
            throw SyncError(code: .unknownStream,
                            message: "rejects of '\(stray)' belong to no stream of \(mapping.path); pass --stream to choose the streams of this mapping")
        }
        plan.removeAll { byPart[$0.name] == nil }

        let runID = try await store.startRun(kind: "rejects-retry", streams: plan.map(\.name))
        logger.info("rejects retry started", metadata: ["run": "\(runID)", "rejects": "\(rejects.count)"])
        var parts: [Part] = []
        do {
            try await APIClient.withClient(configuration.loader, logger: logger) { client in
                let source = try await PostgresConnection.connect(configuration.source)
                do {
                    for (stream, kind, name) in plan {
                        var part = Part(name: name)
                        let pending = byPart[name] ?? []
                        part.considered = pending.count
                        if try await store.tryLock(stream: stream.name) {
                            do {
                                try await retry(pending, stream: stream, kind: kind, part: &part, runID: runID,
                                                store: store, source: source, client: client)
                            } catch let error as DeliveryError where !error.stopsRun {
                                part.error = "\(error)"
                            } catch {
                                try? await store.unlock(stream: stream.name)
                                throw error
                            }
                            try await store.unlock(stream: stream.name)
                        } else {
                            part.error = "another run is syncing this stream; try again when it ends"
                        }
                        logger.info("rejects retried", metadata: ["part": "\(name)", "considered": "\(part.considered)",
                                                                  "resolved": "\(part.resolved + part.skipped)",
                                                                  "still-open": "\(part.failedAgain + part.missing)"])
                        parts.append(part)
                    }
                } catch {
                    await source.close()
                    throw error
                }
                await source.close()
            }
        } catch {
            try? await store.finishRun(id: runID, status: .failed, stats: Self.stats(parts), error: RunContext.describe(error))
            throw error
        }
        let failed = parts.contains { $0.error != nil }
        let report = Report(runID: runID, parts: parts,
                            status: failed ? .failed : parts.contains { $0.failedAgain + $0.missing > 0 } ? .completedWithRejects : .succeeded)
        let errors = parts.compactMap { p in p.error.map { "\(p.name): \($0)" } }
        try await store.finishRun(id: runID, status: report.status, stats: Self.stats(parts),
                                  error: errors.isEmpty ? nil : errors.joined(separator: "; "))
        return report
    }

    static func stats(_ parts: [Part]) -> StreamRunStats {
        var stats = StreamRunStats()
        for p in parts {
            stats.rowsRead += p.considered - p.missing
            stats.itemsSent += p.resolved
            stats.itemsRejected += p.failedAgain + p.missing
            stats.skipped += p.skipped
        }
        return stats
    }

    /// How a part's items reach the API.
    enum PartKind: Sendable {
        case metadata(MetadataEntity, batched: Bool)
        case conversations
        case messages
    }

    /// A source row mapped to an item, and the rejects it heals.
    struct Candidate: Sendable {
        var key: String
        var item: EncodedJSON
        var rejects: [Int64]
        /// For messages: the conversation's API id.
        var conversationID: String?
    }

    /// Keys read from the source per query.
    static let keysPerQuery = 500

    private func retry(_ pending: [CheckpointStore.StoredReject], stream: StreamMapping, kind: PartKind, part: inout Part,
                       runID: Int64, store: CheckpointStore, source: PostgresConnection, client: APIClient) async throws {
        let section: MappingSection
        var orderBy = ""
        switch kind {
        case .metadata, .conversations:
            section = stream.main
        case .messages:
            guard let messages = stream.messages else { return }
            section = messages.section
            // Within a conversation, messages go in the order the API shows them.
            orderBy = " ORDER BY src.\(SourceSpec.quoteIdentifier(messages.conversationColumn)), src.\(SourceSpec.quoteIdentifier(messages.orderColumn)), src.\(SourceSpec.quoteIdentifier(section.source.key))"
        }
        var idsByKey: [String: [Int64]] = [:]
        var keys: [String] = []
        for reject in pending {
            if idsByKey[reject.record.sourceKey] == nil { keys.append(reject.record.sourceKey) }
            idsByKey[reject.record.sourceKey, default: []].append(reject.id)
        }
        let sql = "SELECT * FROM \(section.source.relationSQL) AS src WHERE src.\(SourceSpec.quoteIdentifier(section.source.key)) = ANY($1)\(orderBy)"
        var mapper: RowMapper?
        var start = 0
        while start < keys.count {
            let chunk = Array(keys[start..<min(start + Self.keysPerQuery, keys.count)])
            start += chunk.count
            let rows = try await source.query(sql, [PostgresBind(chunk.map { Optional($0) })]).sourceRows()
            var found = Set<String>()
            var candidates: [Candidate] = []
            for row in rows {
                if mapper == nil { mapper = try RowMapper(section: section, streamName: stream.name, columns: row.columns) }
                let m = mapper!
                let key = m.key(of: row)
                guard let ids = idsByKey[key], found.insert(key).inserted else { continue }
                var conversationID: String?
                if case .messages = kind, let messages = stream.messages {
                    guard let conversationKey = row[messages.conversationColumn]?.sqlText, row[messages.orderColumn]?.sqlText != nil else {
                        try await fail(ids, stage: .mapping, field: nil, status: nil,
                                       error: "no-conversation: the message's '\(messages.conversationColumn)' or '\(messages.orderColumn)' is NULL, so it cannot be placed in a conversation",
                                       store: store, part: &part)
                        continue
                    }
                    guard let known = try await store.conversation(stream: stream.name, sourceKey: conversationKey) else {
                        try await fail(ids, stage: .mapping, field: nil, status: nil,
                                       error: "no-conversation: conversation \(conversationKey) was not created (its row was rejected or is not in the conversations' source)",
                                       store: store, part: &part)
                        continue
                    }
                    conversationID = known.asappID
                }
                switch try m.map(row) {
                case .item(let item):
                    candidates.append(Candidate(key: key, item: item, rejects: ids, conversationID: conversationID))
                case .rejected(let rejection):
                    try await fail(ids, stage: .mapping, field: rejection.field, status: nil, error: "\(rejection.code): \(rejection.message)",
                                   store: store, part: &part)
                case .skipped:
                    part.skipped += ids.count
                    try await store.resolveRejects(ids: ids)
                }
            }
            for key in chunk where !found.contains(key) {
                try await fail(idsByKey[key] ?? [], stage: .mapping, field: nil, status: nil,
                               error: "source-row-missing: no row with this key in the stream's source any more", store: store, part: &part)
                part.failedAgain -= idsByKey[key]?.count ?? 0
                part.missing += idsByKey[key]?.count ?? 0
            }
            try await deliver(candidates, stream: stream, kind: kind, section: section, part: &part, runID: runID, store: store, client: client)
        }
    }

    private func deliver(_ candidates: [Candidate], stream: StreamMapping, kind: PartKind, section: MappingSection, part: inout Part,
                         runID: Int64, store: CheckpointStore, client: APIClient) async throws {
        switch kind {
        case .metadata(let entity, let batched):
            let size = batched ? max(1, min(section.batchSize ?? configuration.defaultBatchSize, APILimits.maxMetadataItems)) : 1
            var start = 0
            while start < candidates.count {
                let batch = Array(candidates[start..<min(start + size, candidates.count)])
                start += batch.count
                let results = try await client.deliverMetadata(batch.map(\.item), entity: entity, batched: batched)
                try await settle(batch, results, store: store, part: &part)
            }
        case .conversations:
            for candidate in candidates {
                let result = try await client.createConversation(candidate.item)
                if result.accepted, let id = result.returnedID {
                    try await store.commitConversations(stream: stream.name, checkpoint: part.name, runID: runID, position: nil, acknowledgedRows: 0,
                                                        created: [(candidate.key, candidate.item["externalId"]?.stringValue ?? "", id)], rejects: [])
                }
                try await settle([candidate], [result], store: store, part: &part)
            }
        case .messages:
            // Rows arrive ordered by conversation, then order: consecutive runs share a conversation.
            var start = 0
            while start < candidates.count {
                let conversationID = candidates[start].conversationID ?? ""
                var end = start
                while end < candidates.count, end - start < APILimits.maxMessagesPerBatch, candidates[end].conversationID == conversationID { end += 1 }
                let batch = Array(candidates[start..<end])
                start = end
                do {
                    let answer = try await client.postMessages(batch.map(\.item), conversationID: conversationID)
                    try await settle(batch, Array(repeating: answer, count: batch.count), store: store, part: &part)
                } catch let error as DeliveryError where error.code == .unknownConversation {
                    try await fail(batch.flatMap(\.rejects), stage: .api, field: nil, status: 404, error: "\(error)", store: store, part: &part)
                }
            }
        }
    }

    /// Resolves the accepted candidates and records the API's reason on the others.
    private func settle(_ batch: [Candidate], _ results: [ItemResult], store: CheckpointStore, part: inout Part) async throws {
        var accepted: [Int64] = []
        for (candidate, result) in zip(batch, results) {
            if result.accepted {
                accepted += candidate.rejects
            } else {
                try await fail(candidate.rejects, stage: .api, field: nil, status: result.status, error: result.error ?? "refused",
                               store: store, part: &part)
            }
        }
        part.resolved += accepted.count
        try await store.resolveRejects(ids: accepted)
    }

    private func fail(_ ids: [Int64], stage: RejectRecord.Stage, field: String?, status: Int?, error: String,
                      store: CheckpointStore, part: inout Part) async throws {
        for id in ids {
            try await store.recordRejectFailure(id: id, stage: stage, field: field, httpStatus: status, error: error)
        }
        part.failedAgain += ids.count
    }
}
