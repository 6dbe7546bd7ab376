public import Postgres
public import SyncCore

/// One page of rows read in watermark order.
public struct ExtractedPage: Sendable {
    /// The rows, ordered by watermark then key.
    public var rows: [SourceRow]
    /// The position after the page's last row; `nil` for an empty page.
    public var end: SyncPosition?
    /// Whether the page was the last one below the run's upper bound.
    public var isLast: Bool

    /// A page of `rows` read `pageSize` at most at a time: it ends at its last row's watermark and key.
    ///
    /// - Throws: `ExtractionError` when the result lacks the watermark or key column, or the last row
    ///   has NULL in either.
    init(rows: [SourceRow], query: WatermarkQuery, pageSize: Int) throws {
        guard let last = rows.last else {
            self.init(rows: [], end: nil, isLast: true)
            return
        }
        guard let wi = last.columns.index(of: query.watermark) else {
            throw ExtractionError(code: .missingColumn, message: "watermark column '\(query.watermark)' is not in the source's result")
        }
        guard let ki = last.columns.index(of: query.key) else {
            throw ExtractionError(code: .missingColumn, message: "key column '\(query.key)' is not in the source's result")
        }
        guard let watermark = last.values[wi].sqlText, let key = last.values[ki].sqlText else {
            throw ExtractionError(code: .nullKey, message: "a row has a NULL '\(query.key)' or '\(query.watermark)'; both must be NOT NULL to be read incrementally")
        }
        self.init(rows: rows, end: SyncPosition(watermark: watermark, key: key), isLast: rows.count < pageSize)
    }

    /// A page of `rows` that ends at `end`.
    public init(rows: [SourceRow], end: SyncPosition?, isLast: Bool) {
        self.rows = rows
        self.end = end
        self.isLast = isLast
    }
}

/// Reads a relation incrementally: everything after a position, up to a bound fixed at the run's start,
/// in keyset pages of bounded size.
///
/// Memory is bounded by one page, whatever the table's size; each page is one indexed range scan when
/// `(watermark, key)` has an index.
public struct WatermarkExtractor: Sendable {
    public let connection: PostgresConnection
    public let query: WatermarkQuery
    /// Rows per page. Default: `defaultPageSize`.
    public var pageSize: Int

    /// Rows per page unless told otherwise: 1,000, about one batch. A sync holds about three pages: one
    /// whose batches are being sent, the next being mapped and the one after it being read. At 5,000 rows
    /// (two pages held, before pages were read ahead) the demo's conversations peaked a fifth higher on a
    /// large table than on one that fits in a page; at 1,000 with the read ahead the peak is that of 2,500
    /// without it (52 MB on 100,000 conversations), and alternating runs were about 4% faster.
    public static let defaultPageSize = 1000

    /// An extractor of `query` over `connection`.
    public init(connection: PostgresConnection, query: WatermarkQuery, pageSize: Int = WatermarkExtractor.defaultPageSize) {
        self.connection = connection
        self.query = query
        self.pageSize = max(1, pageSize)
    }

    /// The highest watermark in the relation now, as text; `nil` when the relation is empty.
    public func upperBound() async throws -> String? {
        try await upperBound(policy: BoundPolicy(respectOpenTransactions: false)).value
    }

    /// The bound a run may read to under `policy`. Watermarks that are not `timestamptz` (serial ids,
    /// dates) get the highest value present.
    ///
    /// - Parameter findHighest: whether a `timestamptz` watermark's bound is also kept at the highest value
    ///   present. An index on the watermark finds it at once; a watermark no index serves (one computed
    ///   across a join, read with `read: cursor`) would have every row read for it, and then read again
    ///   by the run: 40–60 ms of a 0.5 s run over the demo's 50,000 customers, growing with the table,
    ///   and all of a scheduled run's cost when nothing changed. With `false` the bound is the policy's
    ///   ceiling alone (`now()` less the lag, below the oldest open transaction), which reads no row. The
    ///   rows read are the same: no committed row lies between the highest watermark and that ceiling, and
    ///   a row committed later is stamped from its transaction's start, after `now()`, or is held back by
    ///   the open transaction it belongs to. Only a writer's clock running behind the database's can stamp
    ///   a row below the ceiling late, and `lag` is for that, as it is with `findHighest`. Other watermark
    ///   types have no ceiling and always get the highest value.
    public func upperBound(policy: BoundPolicy, findHighest: Bool = true) async throws -> UpperBound {
        var highest: SourceValue?
        var ceilingOnly = false
        if !findHighest { ceilingOnly = try await connection.query(query.watermarkTypeSQL).columns.first?.type == .timestamptz }
        if !ceilingOnly {
            highest = try await connection.query(query.upperBoundSQL).rows.first?.sourceValue(at: 0)
            guard let highest, case .timestamp = highest, policy.respectOpenTransactions || policy.lag > .zero else {
                return UpperBound(value: highest?.sqlText, highest: highest?.sqlText, heldByTransaction: false,
                                  oldestTransactionAge: nil, canSeeAllTransactions: true)
            }
        }
        // Other sessions of this database with a transaction open now: any of them may still commit rows
        // stamped from its start on. Idle-in-transaction sessions count too: they can write later.
        let safe = try await connection.query("""
            WITH open AS (
                SELECT min(xact_start) AS oldest FROM pg_stat_activity
                WHERE $3 AND datname = current_database() AND backend_type = 'client backend'
                  AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
            )
            SELECT least($1::timestamptz, now() - make_interval(secs => $2), open.oldest - interval '1 microsecond') AS bound,
                   open.oldest IS NOT NULL AND open.oldest - interval '1 microsecond' < least($1::timestamptz, now() - make_interval(secs => $2)) AS held,
                   extract(epoch FROM now() - open.oldest)::float8 AS age,
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role('pg_read_all_stats', 'USAGE') AS sees_all
            FROM open
            """, [highest.map(PostgresBind.init) ?? PostgresBind(text: "infinity", type: .timestamptz),
                  PostgresBind(policy.lagSeconds), PostgresBind(policy.respectOpenTransactions)])
        let row = safe[0]
        let held = try row.decode(Bool?.self, column: "held") ?? false
        return UpperBound(value: try row.sourceValue(at: 0).sqlText, highest: highest?.sqlText, heldByTransaction: held,
                          oldestTransactionAge: held ? try row.decode(Double?.self, column: "age") : nil,
                          canSeeAllTransactions: try row.decode(Bool?.self, column: "sees_all") ?? false)
    }

    /// The page after `position` (from the start when `nil`), not past `bound`.
    public func page(after position: SyncPosition?, upTo bound: String) async throws -> ExtractedPage {
        try await page(after: position, in: .upTo(bound))
    }

    /// The page after `position` (from the start of the range when `nil`) within `range`.
    public func page(after position: SyncPosition?, in range: ReadRange) async throws -> ExtractedPage {
        let result: PostgresResult
        switch (range, position) {
        case (.upTo(let bound), let position?):
            result = try await connection.query(query.nextPageSQL, [PostgresBind(bound), PostgresBind(pageSize),
                                                                    PostgresBind(position.watermark), PostgresBind(position.key)])
        case (.upTo(let bound), nil):
            result = try await connection.query(query.firstPageSQL, [PostgresBind(bound), PostgresBind(pageSize)])
        case (.window(let from, let to), let position?):
            result = try await connection.query(query.windowPageSQL(after: true), [PostgresBind(from), PostgresBind(to), PostgresBind(pageSize),
                                                                                   PostgresBind(position.watermark), PostgresBind(position.key)])
        case (.window(let from, let to), nil):
            result = try await connection.query(query.windowPageSQL(after: false), [PostgresBind(from), PostgresBind(to), PostgresBind(pageSize)])
        }
        return try ExtractedPage(rows: result.sourceRows(), query: query, pageSize: pageSize)
    }

    /// A reader of `range` after `position` in one pass, for sources whose order keyset pages would
    /// recompute for every page; see `CursorReader`.
    public func cursor(after position: SyncPosition?, in range: ReadRange) -> CursorReader {
        CursorReader(connection: connection, query: query, range: range, after: position, pageSize: pageSize)
    }

    /// How many rows lie after `position` and up to `bound`.
    public func remaining(after position: SyncPosition?, upTo bound: String) async throws -> Int {
        let result = if let position {
            try await connection.query(query.countAfterSQL, [PostgresBind(bound), PostgresBind(position.watermark), PostgresBind(position.key)])
        } else {
            try await connection.query(query.countUpToSQL, [PostgresBind(bound)])
        }
        return try result[0].decode(Int.self, at: 0)
    }
}
