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
/// concurrently, up to `smallRequestsInFlight` at once. The window is read once, in conversation order,
/// a page at a time and a page ahead: while the conversations of one page are delivered, the next page is
/// read and the API ids and progress of its whole conversations looked up together. Each conversation
/// starts as soon as there is room, and what the API acknowledged is committed (progress and rejects in
/// one transaction) for every few delivered conversations, whichever page they came from: a slow
/// conversation holds back nobody's commit but its own, and neither reading nor lookups hold back
/// commits or starts. A run that dies resumes the same window, each conversation after its committed
/// progress; what was sent and not committed goes again, never more than `uncommittedRows` messages. A
/// conversation with progress already (a resumed run) or too long to hold is delivered on its own,
/// committing after every batch. When every conversation is done, the checkpoint moves to the window's
/// end.
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

        /// The window's placeable messages in `(conversation, order, key)` order, one page: after the row
        /// `$n`..`$n+2` (conversation, order, key) when `after` is `.row`, after the whole conversation `$n`
        /// when `.conversation`; the page size last. One index range scan per page.
        func stream(hasStart: Bool, after: StreamCursor?) -> String {
            let n = hasStart ? 5 : 3
            let (condition, limit): (String, Int) = switch after {
            case nil: ("", n)
            case .row: (" AND (\(conv), \(ord), \(key)) > ($\(n), $\(n + 1), $\(n + 2))", n + 3)
            case .conversation: (" AND \(conv) > $\(n)", n + 1)
            }
            return """
                SELECT * FROM \(relation) AS src
                WHERE \(window(hasStart: hasStart)) AND \(conv) IS NOT NULL AND \(ord) IS NOT NULL\(condition)
                ORDER BY \(conv), \(ord), \(key) LIMIT $\(limit)
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

    /// Where the window's streaming read goes on from.
    enum StreamCursor: Sendable {
        /// After this message (conversation, order and key as text).
        case row(conversation: String, order: String, key: String)
        /// After every message of this conversation.
        case conversation(String)

        var binds: [PostgresBind] {
            switch self {
            case .row(let c, let o, let k): [PostgresBind(c), PostgresBind(o), PostgresBind(k)]
            case .conversation(let c): [PostgresBind(c)]
            }
        }
    }

    /// One conversation's messages as read, in order.
    typealias ConversationRows = (key: String, rows: [SourceRow])

    /// Rows of delivered conversations committed together, at the least: their progress and rejects go in
    /// one transaction. Default: 300. Fewer are committed when nothing else is under way (the end of the
    /// window, say) or the phase stops.
    static let commitRows = 300
    /// The most rows started and not yet committed at once, which bounds what a crash sends again (the
    /// Conversations API has no key to drop repeats). Default: 1,500, five batches of 300: at 20 ms an
    /// answer that keeps about 50 conversations in flight. A conversation longer than that starts when
    /// nothing else is uncommitted; one delivered on its own holds a batch's worth.
    static let uncommittedRows = 1500
    /// A conversation with more messages than this is delivered on its own, committing as it goes.
    /// Default: 3,000.
    static let aloneRows = 3000
    /// Rows per page of the window's streaming read. Default: 5,000.
    static let pageRows = 5000

    /// What a task of the phase reports.
    enum Event: Sendable {
        /// A conversation of a group delivered, or stopped by a failure: what the API acknowledged, not
        /// committed yet.
        case delivered(GroupMember)
        /// A conversation delivered on its own, committing as it went.
        case alone(ConversationResult)
        /// Delivered conversations committed (unless `otherFailure` says the commit failed), and the rows
        /// they held.
        case committed(ConversationResult, rows: Int)
        /// A page of the window read: the reader to go on with, the page's work in read order, and why
        /// its lookups failed (the phase then stops), with whether that was a lost connection.
        case read(WindowReader, work: [Work], lookupFailure: String?, lost: Bool)
    }

    /// A conversation read and not started yet.
    enum Work: Sendable {
        /// Its messages, with its API id when a run created it.
        case conversation(ConversationRows, known: KnownConversation?)
        /// One delivered on its own path, reading its messages itself: it has progress already (a resumed
        /// run), or is too long to hold.
        case alone(String)

        /// The rows it counts for against `uncommittedRows`: its own, or a batch's worth on its own path.
        func rows(aloneReserve: Int) -> Int {
            switch self {
            case .conversation(let conversation, _): conversation.rows.count
            case .alone: aloneReserve
            }
        }
    }

    /// The window's read, in `(conversation, order, key)` order, one page at a time. A value: it is moved
    /// into the task that reads a page and handed back with the page's work, so one page is read at a
    /// time while the conversations read before it are delivered.
    struct WindowReader: Sendable {
        let queries: Queries
        let hasStart: Bool
        let binds: [PostgresBind]
        let run: MessageRun
        var cursor: StreamCursor?
        /// One per mapping task, made from the first row's columns.
        var mappers: [RowMapper] = []
        var columns: (conversation: Int, order: Int, key: Int)?
        /// The conversation the last page ended in: it may go on in the next.
        var carry: ConversationRows?
        /// The last page has been read.
        var done = false

        /// Reads the next page and returns the conversations it completes, their API ids and progress
        /// looked up in one round trip each, in read order. A conversation found to have progress, or to
        /// be longer than `aloneRows` (the read then goes on after it), goes on its own path. A failed
        /// lookup comes back as its description, with whether the connection was lost, and no work.
        mutating func read(source: PostgresConnection) async throws -> (work: [Work], lookupFailure: String?, lost: Bool) {
            let section = run.section
            var pageBinds = binds + (cursor?.binds ?? [])
            pageBinds.append(PostgresBind(MessageRun.pageRows))
            let rows = try await source.query(queries.stream(hasStart: hasStart, after: cursor), pageBinds).sourceRows()
            var whole: [ConversationRows] = []
            var tooLong: String?
            for row in rows {
                if columns == nil {
                    mappers = try StreamRun.mappers(section: section, stream: run.stream, columns: row.columns)
                    columns = (try RowMapper.columnIndex(run.messages.conversationColumn, in: row.columns, stream: run.stream,
                                                         location: run.messages.conversationLocation),
                               try RowMapper.columnIndex(run.messages.orderColumn, in: row.columns, stream: run.stream,
                                                         location: run.messages.orderLocation),
                               try RowMapper.columnIndex(section.source.key, in: row.columns, stream: run.stream,
                                                         location: section.source.keyLocation))
                }
                let conversationKey = row.values[columns!.conversation].sqlText ?? ""
                if carry?.key != conversationKey {
                    if let finished = carry { whole.append(finished) }
                    carry = (conversationKey, [])
                }
                carry!.rows.append(row)
                if carry!.rows.count > MessageRun.aloneRows {
                    tooLong = conversationKey
                    carry = nil
                    break
                }
            }
            if let tooLong {
                cursor = .conversation(tooLong)
            } else if rows.count == MessageRun.pageRows, let last = rows.last, let columns {
                cursor = .row(conversation: last.values[columns.conversation].sqlText ?? "", order: last.values[columns.order].sqlText ?? "",
                              key: last.values[columns.key].sqlText ?? "")
            } else {
                done = true
                if let finished = carry { whole.append(finished) }
                carry = nil
            }
            let keys = whole.map(\.key)
            let known: [String: KnownConversation]
            let progress: [String: SyncPosition]
            do {
                known = try await run.context.store.conversations(stream: run.conversationStream, sourceKeys: keys)
                progress = try await run.context.store.messageProgress(run.checkpoint, conversationKeys: keys)
            } catch {
                return ([], RunContext.describe(error), StateSession.isReconnectable(error))
            }
            var work = whole.map { conversation in
                progress[conversation.key] != nil ? Work.alone(conversation.key) : .conversation(conversation, known: known[conversation.key])
            }
            if let tooLong { work.append(.alone(tooLong)) }
            return (work, nil, false)
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

        var failure: DeliveryError?
        var otherFailure: String?
        let width = max(1, context.configuration.smallRequestsInFlight)
        // What a conversation delivered on its own may have sent and not committed: one batch.
        let aloneReserve = section.batchSize ?? APILimits.maxMessagesPerBatch
        let executors = context.configuration.mappingExecutors
        try await withThrowingTaskGroup(of: Event.self) { group in
            // Conversations under way; rows started and not committed (under way, delivered, or being
            // committed); delivered conversations waiting for a commit, one commit running at a time.
            var running = 0
            var uncommitted = 0
            var delivered: [GroupMember] = []
            var deliveredRows = 0
            var committing = false
            var commitFailed = false
            var started = 0
            // The window's read: the reader while no page is being read (nil while one is); the work of the
            // pages read, from `head` on not started yet (what is before it goes when the next page comes),
            // and the rows that waits for.
            var reader: WindowReader? = WindowReader(queries: queries, hasStart: hasStart, binds: binds, run: self)
            var mappers: [RowMapper] = []
            var queue: [Work] = []
            var head = 0
            var queuedRows = 0

            func halted() -> Bool { failure != nil || otherFailure != nil }
            func note(_ r: ConversationResult) {
                result.stats += r.stats
                result.batches += r.batches
                if failure == nil, let f = r.failure { failure = f }
                if otherFailure == nil, let f = r.otherFailure { otherFailure = f }
                if r.connectionLost { result.connectionLost = true }
            }
            func absorb(_ event: Event) {
                switch event {
                case .delivered(let member):
                    running -= 1
                    delivered.append(member)
                    deliveredRows += member.stats.rowsRead
                    if failure == nil, let f = member.failure { failure = f }
                    if otherFailure == nil, let f = member.otherFailure { otherFailure = f }
                case .alone(let r):
                    running -= 1
                    uncommitted -= aloneReserve
                    note(r)
                case .committed(let r, let rows):
                    committing = false
                    uncommitted -= rows
                    if r.otherFailure != nil { commitFailed = true }
                    note(r)
                case .read(let next, let work, let lookupFailure, let lost):
                    reader = next
                    mappers = next.mappers
                    // The conversations started are let go of: the queue holds only what waits.
                    queue.removeFirst(head)
                    head = 0
                    queue.append(contentsOf: work)
                    queuedRows += work.reduce(0) { $0 + $1.rows(aloneReserve: aloneReserve) }
                    if otherFailure == nil, let lookupFailure { otherFailure = lookupFailure }
                    if lost { result.connectionLost = true }
                }
                // Once enough is delivered, and whatever is when nothing else is under way or the phase
                // stops. After a failed commit nothing more is: those conversations go again next run.
                if !committing, !commitFailed, !delivered.isEmpty,
                   deliveredRows >= MessageRun.commitRows || running == 0 || halted() || context.stopRequested {
                    committing = true
                    let members = delivered
                    let rows = deliveredRows
                    delivered = []
                    deliveredRows = 0
                    group.addTask { .committed(await commit(members), rows: rows) }
                }
            }
            /// Starts the next page's read when the work waiting holds less than a page, and the last page
            /// has not been read.
            func readAhead() {
                guard queuedRows < MessageRun.pageRows, let current = reader, !current.done else { return }
                reader = nil
                group.addTask {
                    var next = current
                    let (work, lookupFailure, lost) = try await next.read(source: source)
                    return .read(next, work: work, lookupFailure: lookupFailure, lost: lost)
                }
            }

            // Conversations start in the order they were read, each once there is room: a place among
            // `width`, and room under `uncommittedRows` (or nothing uncommitted). Events are taken in
            // whatever order they come, so commits and the next page's read go on while conversations
            // wait for room.
            readAhead()
            // Set when nothing at all is under way, so that what waits starts whatever the count says.
            var idle = false
            starting: while true {
                while head < queue.count {
                    if halted() { break starting }
                    if context.stopRequested {
                        result.interrupted = true
                        break starting
                    }
                    let work = queue[head]
                    let rows = work.rows(aloneReserve: aloneReserve)
                    guard running < width, idle || uncommitted == 0 || uncommitted + rows <= MessageRun.uncommittedRows else { break }
                    idle = false
                    head += 1
                    queuedRows -= rows
                    running += 1
                    uncommitted += rows
                    switch work {
                    case .alone(let key):
                        group.addTask { .alone(await deliverConversation(key, window: window, queries: queries, source: source)) }
                    case .conversation(let conversation, let known):
                        // Spread over the mapping executors (when there are): messages are mapped on every
                        // core, each conversation by the mapper of its task's place (see `StreamRun.mappers`).
                        let mapper = StreamRun.mapper(for: started, in: mappers)
                        group.addTask(executorPreference: StreamRun.executor(for: started, in: executors)) {
                            .delivered(await deliverRows(conversation, known: known, mapper: mapper))
                        }
                        started += 1
                    }
                }
                if halted() { break }
                readAhead()
                // Everything read and started.
                if head == queue.count, reader?.done == true { break }
                guard let event = try await group.next() else {
                    if head < queue.count {
                        idle = true
                        continue
                    }
                    break
                }
                absorb(event)
            }
            // What is under way ends (a page being read included), and what it delivered is committed.
            while let event = try await group.next() { absorb(event) }
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

    /// What one conversation of a group did: what the API acknowledged, and how far.
    struct GroupMember: Sendable {
        var key: String
        var position: SyncPosition?
        var rejects: [RejectRecord] = []
        var stats = StreamRunStats()
        var batches = 0
        var failure: DeliveryError?
        var otherFailure: String?
    }

    /// Commits the progress and rejects of delivered conversations in one transaction: what they did
    /// counts once it is committed.
    private func commit(_ members: [GroupMember]) async -> ConversationResult {
        var out = ConversationResult()
        var positions: [(conversationKey: String, position: SyncPosition)] = []
        var rejects: [RejectRecord] = []
        for member in members {
            if let position = member.position { positions.append((member.key, position)) }
            rejects += member.rejects
        }
        do {
            try await context.store.commitMessages(checkpoint, runID: context.runID, progress: positions, rejects: rejects)
        } catch {
            out.otherFailure = RunContext.describe(error)
            out.connectionLost = StateSession.isReconnectable(error)
            return out
        }
        for member in members {
            out.stats += member.stats
            out.batches += member.batches
            if out.failure == nil, let f = member.failure { out.failure = f }
            if out.otherFailure == nil, let f = member.otherFailure { out.otherFailure = f }
        }
        return out
    }

    /// Maps and posts one conversation's rows in batches, each after the previous one's answer; commits
    /// nothing: the caller commits what the result says was acknowledged.
    private func deliverRows(_ conversation: ConversationRows, known: KnownConversation?, mapper: RowMapper) async -> GroupMember {
        var member = GroupMember(key: conversation.key)
        member.stats.rowsRead = conversation.rows.count
        let batchSize = section.batchSize ?? APILimits.maxMessagesPerBatch
        var items: [EncodedJSON] = []
        var itemSources: [StreamRun.ItemSource] = []
        var rejects: [RejectRecord] = []
        var last: (key: String, order: SourceValue)?
        let orderColumn = conversation.rows.first.flatMap { $0.columns.index(of: messages.orderColumn) }

        func flush() async throws(DeliveryError) {
            guard let (key, order) = last else { return }
            let position = SyncPosition(watermark: order.sqlText ?? "", key: key)
            var sent = 0
            if !items.isEmpty {
                let (acknowledged, refused) = try await post(items, sources: itemSources, to: known!.asappID)
                member.batches += 1
                member.stats.requests += 1
                sent = acknowledged
                rejects += refused
            }
            member.stats.itemsSent += sent
            member.stats.itemsRejected += rejects.count
            member.rejects += rejects
            member.position = position
            items.removeAll(keepingCapacity: true)
            itemSources.removeAll(keepingCapacity: true)
            rejects.removeAll(keepingCapacity: true)
            last = nil
        }

        do {
            for row in conversation.rows {
                let (key, verdict) = try classify(row, mapper: mapper, conversationKey: conversation.key, created: known != nil)
                switch verdict {
                case .item(let item):
                    items.append(item)
                    itemSources.append(StreamRun.ItemSource(key: key, watermark: mapper.watermark(of: row)))
                case .reject(let reject): rejects.append(reject)
                case .skip: member.stats.skipped += 1
                }
                last = (key, orderColumn.map { row.values[$0] } ?? .null)
                if items.count >= batchSize { try await flush() }
            }
            try await flush()
        } catch let error as DeliveryError {
            member.failure = error
        } catch {
            member.otherFailure = RunContext.describe(error)
        }
        return member
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
            var items: [EncodedJSON] = []
            var itemSources: [StreamRun.ItemSource] = []
            var rejects: [RejectRecord] = []
            var pendingRows = 0
            var last: SyncPosition?

            func flush() async throws(DeliveryError) -> Bool {
                guard let position = last else { return true }
                var sent = 0
                if !items.isEmpty {
                    let (acknowledged, refused) = try await post(items, sources: itemSources, to: known!.asappID)
                    out.batches += 1
                    out.stats.requests += 1
                    sent = acknowledged
                    rejects += refused
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
                    let (key, verdict) = try classify(row, mapper: mapper!, conversationKey: conversationKey, created: known != nil)
                    switch verdict {
                    case .item(let item):
                        items.append(item)
                        itemSources.append(StreamRun.ItemSource(key: key, watermark: mapper!.watermark(of: row)))
                    case .reject(let reject): rejects.append(reject)
                    case .skip: out.stats.skipped += 1
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

    /// What one message row becomes.
    enum MessageVerdict {
        case item(EncodedJSON)
        case reject(RejectRecord)
        case skip
    }

    /// Maps one message row; a row whose conversation the API does not know (`created` false) is recorded,
    /// not sent.
    private func classify(_ row: SourceRow, mapper: RowMapper, conversationKey: String,
                          created: Bool) throws(MappingRuntimeError) -> (key: String, verdict: MessageVerdict) {
        let key = mapper.key(of: row)
        func reject(field: String?, _ error: String) -> MessageVerdict {
            .reject(RejectRecord(stream: checkpoint, sourceKey: key, watermark: mapper.watermark(of: row).sqlText, eventID: nil, payload: nil,
                                 stage: .mapping, field: field, httpStatus: nil, error: error))
        }
        guard created else {
            return (key, reject(field: nil,
                "no-conversation: conversation \(conversationKey) was not created (its row was rejected or is not in the conversations' source)"))
        }
        switch try mapper.map(row, key: key) {
        case .item(let item): return (key, .item(item))
        case .rejected(let r): return (key, reject(field: r.field, "\(r.code): \(r.message)"))
        case .skipped: return (key, .skip)
        }
    }

    /// Posts one batch of a conversation's messages: how many the API acknowledged, and a reject for each
    /// message of a batch it refused (the endpoint answers for the batch as a whole).
    private func post(_ items: [EncodedJSON], sources: [StreamRun.ItemSource],
                      to conversationID: String) async throws(DeliveryError) -> (sent: Int, rejects: [RejectRecord]) {
        let answer = try await context.client.postMessages(items, conversationID: conversationID)
        if answer.accepted { return (items.count, []) }
        let rejects = zip(items, sources).map { item, source in
            RejectRecord(stream: checkpoint, sourceKey: source.key, watermark: source.watermark.sqlText, eventID: nil, payload: item.value,
                         stage: .api, field: nil, httpStatus: answer.status, error: answer.error ?? "refused")
        }
        return (0, rejects)
    }
}
