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
}

/// Reads a relation incrementally: everything after a position, up to a bound fixed at the run's start,
/// in keyset pages of bounded size.
///
/// Memory is bounded by one page, whatever the table's size; each page is one indexed range scan when
/// `(watermark, key)` has an index.
public struct WatermarkExtractor: Sendable {
    public let connection: PostgresConnection
    public let query: WatermarkQuery
    /// Rows per page. Default: 5,000.
    public var pageSize: Int

    /// An extractor of `query` over `connection`.
    public init(connection: PostgresConnection, query: WatermarkQuery, pageSize: Int = 5000) {
        self.connection = connection
        self.query = query
        self.pageSize = max(1, pageSize)
    }

    /// The highest watermark in the relation now, as text; `nil` when the relation is empty.
    public func upperBound() async throws -> String? {
        let result = try await connection.query(query.upperBoundSQL)
        return try result.rows.first?.sourceValue(at: 0).sqlText
    }

    /// The page after `position` (from the start when `nil`), not past `bound`.
    public func page(after position: SyncPosition?, upTo bound: String) async throws -> ExtractedPage {
        let result: PostgresResult
        if let position {
            result = try await connection.query(query.nextPageSQL, [PostgresBind(bound), PostgresBind(pageSize),
                                                                    PostgresBind(position.watermark), PostgresBind(position.key)])
        } else {
            result = try await connection.query(query.firstPageSQL, [PostgresBind(bound), PostgresBind(pageSize)])
        }
        let rows = try result.sourceRows()
        guard let last = rows.last else { return ExtractedPage(rows: [], end: nil, isLast: true) }
        guard let wi = last.columns.index(of: query.watermark) else {
            throw ExtractionError(code: .missingColumn, message: "watermark column '\(query.watermark)' is not in the source's result")
        }
        guard let ki = last.columns.index(of: query.key) else {
            throw ExtractionError(code: .missingColumn, message: "key column '\(query.key)' is not in the source's result")
        }
        guard let watermark = last.values[wi].sqlText, let key = last.values[ki].sqlText else {
            throw ExtractionError(code: .nullKey, message: "a row has a NULL '\(query.key)' or '\(query.watermark)'; both must be NOT NULL to be read incrementally")
        }
        return ExtractedPage(rows: rows, end: SyncPosition(watermark: watermark, key: key), isLast: rows.count < pageSize)
    }

    /// How many rows lie after `position` and up to `bound`.
    public func remaining(after position: SyncPosition?, upTo bound: String) async throws -> Int {
        let start = position ?? SyncPosition(watermark: "", key: "")
        if position == nil {
            let r = try await connection.query("SELECT count(*) FROM \(query.relationSQL) AS src WHERE \(query.quotedWatermark) <= $1", [PostgresBind(bound)])
            return try r.rows[0].decode(Int.self, at: 0)
        }
        let r = try await connection.query(query.countAfterSQL, [PostgresBind(bound), PostgresBind(start.watermark), PostgresBind(start.key)])
        return try r.rows[0].decode(Int.self, at: 0)
    }
}
