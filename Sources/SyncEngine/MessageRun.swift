import APIContract
import Checkpoints
import Extractor
import Loader
import Logging
import Mapping
import Postgres
import SyncCore

/// The message phase of a transcripts stream.
///
/// The run fixes a window of messages (after the checkpoint, up to the last message present when it
/// starts) and keeps it in the state schema. Each conversation with messages in the window gets them in
/// `(order, key)` order, in batches of at most 300, strictly one batch after another; conversations run
/// concurrently. After each acknowledged batch the conversation's progress is committed with the batch's
/// rejects, so a run that dies resumes the same window exactly where each conversation stopped. When every
/// conversation is done, the checkpoint moves to the window's end.
struct MessageRun: Sendable {
    let stream: String
    let messages: MessagesMapping
    let checkpoint: String
    /// The checkpoint name under which the conversations' ids are kept.
    let conversationStream: String
    let context: RunContext

    var section: MappingSection { messages.section }

    /// The SQL of the window's reads.
    struct Queries: Sendable {
        let relation: String
        let wm: String
        let key: String
        let conv: String
        let ord: String

        init(_ messages: MessagesMapping) {
            let q = { (c: String) in "src." + SourceSpec.quoteIdentifier(c) }
            relation = messages.section.source.relationSQL
            wm = q(messages.section.source.watermark)
            key = q(messages.section.source.key)
            conv = q(messages.conversationColumn)
            ord = q(messages.orderColumn)
        }

        /// The last message at or below the bound `$1`.
        var lastPosition: String { "SELECT \(wm), \(key) FROM \(relation) AS src WHERE \(wm) <= $1 ORDER BY \(wm) DESC, \(key) DESC LIMIT 1" }

        /// The window predicate over `$1`..`$4` (start watermark and key, end watermark and key), or
        /// `$1`..`$2` (end only) when the window starts at the beginning.
        func window(hasStart: Bool) -> String {
            hasStart ? "(\(wm), \(key)) > ($1, $2) AND (\(wm), \(key)) <= ($3, $4)" : "(\(wm), \(key)) <= ($1, $2)"
        }

        func orphans(hasStart: Bool) -> String {
            "SELECT * FROM \(relation) AS src WHERE \(window(hasStart: hasStart)) AND (\(conv) IS NULL OR \(ord) IS NULL) ORDER BY \(wm), \(key)"
        }

        /// Conversation keys after `$n` (when `after`), `$n+1` the page size.
        func conversations(hasStart: Bool, after: Bool) -> String {
            let n = hasStart ? 5 : 3
            return """
                SELECT \(conv) FROM \(relation) AS src
                WHERE \(window(hasStart: hasStart)) AND \(conv) IS NOT NULL AND \(ord) IS NOT NULL\(after ? " AND \(conv) > $\(n)" : "")
                GROUP BY \(conv) ORDER BY \(conv) LIMIT $\(after ? n + 1 : n)
                """
        }

        /// One conversation's messages: `$n` the conversation, `$n+1`/`$n+2` the progress, then the limit.
        func messages(hasStart: Bool, after: Bool) -> String {
            let n = hasStart ? 5 : 3
            return """
                SELECT * FROM \(relation) AS src
                WHERE \(window(hasStart: hasStart)) AND \(conv) = $\(n) AND \(ord) IS NOT NULL\(after ? " AND (\(ord), \(key)) > ($\(n + 1), $\(n + 2))" : "")
                ORDER BY \(ord), \(key) LIMIT $\(after ? n + 3 : n + 1)
                """
        }
    }

    /// What one conversation's delivery did.
    struct ConversationResult: Sendable {
        var stats = StreamRunStats()
        var batches = 0
        var failure: DeliveryError?
        var otherFailure: String?
        var connectionLost = false
    }

    func run(source: PostgresConnection) async -> PhaseResult {
        var result = PhaseResult()
        do {
            try await deliverWindow(source: source, result: &result)
        } catch {
            if result.failure == nil { result.failure = RunContext.describe(error) }
            if let delivery = error as? DeliveryError, delivery.stopsRun { result.stopsRun = true }
            if StateSession.isReconnectable(error) { result.connectionLost = true }
        }
        return result
    }

    private func windowBinds(_ window: MessageWindow) -> [PostgresBind] {
        var binds: [PostgresBind] = []
        if let start = window.start { binds += [PostgresBind(start.watermark), PostgresBind(start.key)] }
        return binds + [PostgresBind(window.end.watermark), PostgresBind(window.end.key)]
    }

    private func deliverWindow(source: PostgresConnection, result: inout PhaseResult) async throws {
        let queries = Queries(messages)
        let store = context.store
        result.start = try await store.position(of: checkpoint)
        result.end = result.start
        var window = try await store.messageWindow(checkpoint)
        if window == nil {
            let extractor = WatermarkExtractor(connection: source, query: WatermarkQuery(
                relationSQL: section.source.relationSQL, watermark: section.source.watermark, key: section.source.key))
            guard let bound = try await context.upperBound(extractor, stream: stream),
                  let last = try await source.query(queries.lastPosition, [PostgresBind(bound)]).first,
                  let wm = try last.sourceValue(at: 0).sqlText, let key = try last.sourceValue(at: 1).sqlText else { return }
            let end = SyncPosition(watermark: wm, key: key)
            if end == result.start { return }
            let fresh = MessageWindow(start: result.start, end: end)
            try await store.openMessageWindow(checkpoint, fresh)
            window = fresh
        }
        guard let window else { return }
        result.bound = window.end.watermark
        let hasStart = window.start != nil
        let binds = windowBinds(window)

        if !window.orphansDone {
            var rejects: [RejectRecord] = []
            let rows = try await source.query(queries.orphans(hasStart: hasStart), binds).sourceRows()
            for row in rows {
                let key = row[section.source.key]?.sqlText ?? ""
                rejects.append(RejectRecord(stream: checkpoint, sourceKey: key, watermark: row[section.source.watermark]?.sqlText,
                                            eventID: nil, payload: nil, stage: .mapping, field: nil, httpStatus: nil,
                                            error: "no-conversation: the message's '\(messages.conversationColumn)' or '\(messages.orderColumn)' is NULL, so it cannot be placed in a conversation"))
            }
            try await store.recordOrphans(checkpoint, runID: context.runID, rejects: rejects)
            result.stats.rowsRead += rows.count
            result.stats.itemsRejected += rejects.count
        }

        let maxInFlight = max(1, context.configuration.maxInFlightBatches)
        var after: String?
        var failure: DeliveryError?
        var otherFailure: String?
        try await withThrowingTaskGroup(of: ConversationResult.self) { group in
            var inFlight = 0
            func absorb(_ r: ConversationResult) {
                inFlight -= 1
                result.stats += r.stats
                result.batches += r.batches
                if failure == nil, let f = r.failure { failure = f }
                if otherFailure == nil, let f = r.otherFailure { otherFailure = f }
                if r.connectionLost { result.connectionLost = true }
            }
            keys: while failure == nil && otherFailure == nil {
                var pageBinds = binds
                if let after { pageBinds.append(PostgresBind(after)) }
                pageBinds.append(PostgresBind(1000))
                let page = try await source.query(queries.conversations(hasStart: hasStart, after: after != nil), pageBinds)
                if page.isEmpty { break }
                for row in page {
                    guard let conversationKey = try row.sourceValue(at: 0).sqlText else { continue }
                    after = conversationKey
                    while inFlight >= maxInFlight, let r = try await group.next() { absorb(r) }
                    if failure != nil || otherFailure != nil { break keys }
                    if context.stopRequested {
                        result.interrupted = true
                        break keys
                    }
                    inFlight += 1
                    group.addTask {
                        await deliverConversation(conversationKey, window: window, queries: queries, source: source)
                    }
                }
                if page.count < 1000 { break }
            }
            while inFlight > 0, let r = try await group.next() { absorb(r) }
        }
        if let failure {
            result.failure = RunContext.describe(failure)
            result.stopsRun = failure.stopsRun
            return
        }
        if let otherFailure {
            result.failure = otherFailure
            return
        }
        if result.interrupted || context.stopRequested {
            // The window stays open; the next run resumes each conversation after its progress.
            result.interrupted = true
            return
        }
        try await store.closeMessageWindow(checkpoint, runID: context.runID, window: window, rows: result.stats.rowsRead)
        result.end = window.end
    }

    /// Delivers one conversation's messages in the window, resuming after its recorded progress.
    private func deliverConversation(_ conversationKey: String, window: MessageWindow, queries: Queries,
                                     source: PostgresConnection) async -> ConversationResult {
        var out = ConversationResult()
        do {
            let store = context.store
            let known = try await store.conversation(stream: conversationStream, sourceKey: conversationKey)
            var cursor = try await store.messageProgress(checkpoint, conversationKey: conversationKey)
            let batchSize = section.batchSize ?? APILimits.maxMessagesPerBatch
            let hasStart = window.start != nil
            var mapper: RowMapper?
            var items: [JSONObject] = []
            var itemSources: [(key: String, watermark: String?)] = []
            var rejects: [RejectRecord] = []
            var pendingRows = 0
            var last: SyncPosition?

            func flush() async throws(DeliveryError) -> Bool {
                guard let position = last else { return true }
                var sent = 0
                if !items.isEmpty {
                    let answer = try await context.client.postMessages(items, conversationID: known!.asappID)
                    out.batches += 1
                    out.stats.requests += 1
                    if answer.accepted {
                        sent = items.count
                    } else {
                        for (item, source) in zip(items, itemSources) {
                            rejects.append(RejectRecord(stream: checkpoint, sourceKey: source.key, watermark: source.watermark, eventID: nil,
                                                        payload: .object(item), stage: .api, field: nil, httpStatus: answer.status,
                                                        error: answer.error ?? "refused"))
                        }
                    }
                }
                do {
                    try await store.commitMessages(checkpoint, runID: context.runID, conversationKey: conversationKey,
                                                   progress: position, rejects: rejects)
                } catch {
                    out.otherFailure = RunContext.describe(error)
                    out.connectionLost = StateSession.isReconnectable(error)
                    return false
                }
                out.stats.itemsSent += sent
                out.stats.itemsRejected += rejects.count
                items.removeAll(keepingCapacity: true)
                itemSources.removeAll(keepingCapacity: true)
                rejects.removeAll(keepingCapacity: true)
                pendingRows = 0
                last = nil
                return true
            }

            while !context.stopRequested {
                var pageBinds = windowBinds(window) + [PostgresBind(conversationKey)]
                if let cursor { pageBinds += [PostgresBind(cursor.watermark), PostgresBind(cursor.key)] }
                pageBinds.append(PostgresBind(batchSize))
                let rows = try await source.query(queries.messages(hasStart: hasStart, after: cursor != nil), pageBinds).sourceRows()
                out.stats.rowsRead += rows.count
                for row in rows {
                    if mapper == nil {
                        mapper = try RowMapper(section: section, streamName: stream, columns: row.columns)
                        _ = try RowMapper.columnIndex(messages.orderColumn, in: row.columns, stream: stream, location: messages.orderLocation)
                    }
                    let m = mapper!
                    let key = m.key(of: row)
                    let watermark = m.watermark(of: row).sqlText
                    if known == nil {
                        rejects.append(RejectRecord(stream: checkpoint, sourceKey: key, watermark: watermark, eventID: nil, payload: nil,
                                                    stage: .mapping, field: nil, httpStatus: nil,
                                                    error: "no-conversation: conversation \(conversationKey) was not created (its row was rejected or is not in the conversations' source)"))
                    } else {
                        switch try m.map(row) {
                        case .item(let item):
                            items.append(item)
                            itemSources.append((key, watermark))
                        case .rejected(let r):
                            rejects.append(RejectRecord(stream: checkpoint, sourceKey: key, watermark: watermark, eventID: nil, payload: nil,
                                                        stage: .mapping, field: r.field, httpStatus: nil, error: "\(r.code): \(r.message)"))
                        case .skipped:
                            out.stats.skipped += 1
                        }
                    }
                    pendingRows += 1
                    let position = SyncPosition(watermark: row[messages.orderColumn]?.sqlText ?? "", key: key)
                    last = position
                    cursor = position
                    if items.count >= batchSize || pendingRows >= batchSize * 4 {
                        guard try await flush() else { return out }
                    }
                }
                if rows.count < batchSize { break }
            }
            // Also on a stop: what was read is delivered and committed before the conversation ends.
            guard try await flush() else { return out }
        } catch let error as DeliveryError {
            out.failure = error
        } catch {
            out.otherFailure = RunContext.describe(error)
            out.connectionLost = StateSession.isReconnectable(error)
        }
        return out
    }
}
