public import Postgres
public import SyncCore
import Synchronization

/// Reads a range in one pass: its statement runs once, inside a read-only transaction, and its rows are
/// fetched from a cursor a page at a time.
///
/// Keyset pages re-run the source's statement for every page, which is cheap when an index serves
/// `(watermark, key)` and a sort of the whole source when nothing does (a computed `greatest(...)`
/// watermark over a join): reading N rows in pages of P then costs N²/P. A cursor sorts once. Memory is
/// still one page. The price is a transaction open while the range is read, which holds back the
/// source's vacuum horizon for that long; the statement's snapshot is taken after the run's upper bound,
/// so it sees every row up to it.
///
/// Pages must be asked for one at a time (`next()` after the previous one returned). The transaction
/// ends when the last page has been read, or at `close()`, which a reader that stops early must call.
public final class CursorReader: Sendable {
    public let connection: PostgresConnection
    public let query: WatermarkQuery
    public let range: ReadRange
    public let start: SyncPosition?
    public let pageSize: Int
    private let phase = Mutex(Phase.unopened)

    private enum Phase { case unopened, open, finished }

    /// The cursor's name within its transaction.
    static let name = "asapp_sync_read"

    init(connection: PostgresConnection, query: WatermarkQuery, range: ReadRange, after start: SyncPosition?, pageSize: Int) {
        self.connection = connection
        self.query = query
        self.range = range
        self.start = start
        self.pageSize = max(1, pageSize)
    }

    /// The next page; after the last one, empty pages.
    ///
    /// - Throws: PostgreSQL's errors (the transaction is then rolled back), `ExtractionError` for a
    ///   result without its watermark or key.
    public func next() async throws -> ExtractedPage {
        let current = phase.withLock { $0 }
        if current == .finished { return ExtractedPage(rows: [], end: nil, isLast: true) }
        let declare = current == .unopened ? declaration() : nil
        let fetch = "FETCH FORWARD \(pageSize) FROM \(CursorReader.name)"
        let query = query, pageSize = pageSize
        let page: ExtractedPage
        do {
            page = try await connection.run { connection in
                if declare != nil { try connection.execute("BEGIN READ ONLY") }
                do {
                    if let (sql, binds) = declare { _ = try connection.query(sql, binds) }
                    let result = try connection.query(fetch)
                    let page = try ExtractedPage(rows: result.sourceRows(), query: query, pageSize: pageSize)
                    if page.isLast { try connection.execute("COMMIT") }
                    return page
                } catch {
                    // A broken connection has no transaction left to end; the error says what happened.
                    try? connection.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            phase.withLock { $0 = .finished }
            throw error
        }
        phase.withLock { $0 = page.isLast ? .finished : .open }
        return page
    }

    /// Ends the transaction if it is still open; a reader that stops before the last page calls this.
    public func close() async {
        let wasOpen = phase.withLock { phase in
            defer { phase = .finished }
            return phase == .open
        }
        guard wasOpen else { return }
        try? await connection.execute("ROLLBACK")
    }

    private func declaration() -> (String, [PostgresBind]) {
        var binds: [PostgresBind] = switch range {
        case .upTo(let bound): [PostgresBind(bound)]
        case .window(let from, let to): [PostgresBind(from), PostgresBind(to)]
        }
        if let start { binds += [PostgresBind(start.watermark), PostgresBind(start.key)] }
        let sql = "DECLARE \(CursorReader.name) NO SCROLL CURSOR FOR " + query.orderedSQL(in: range, after: start != nil)
        return (sql, binds)
    }
}
