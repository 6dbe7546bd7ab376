/// The SQL of a keyset-paged watermark read.
///
/// Rows are ordered by `(watermark, key)` and each page starts strictly after the last row of the one
/// before, so rows sharing one watermark value across a page boundary are neither skipped nor repeated;
/// the run's upper bound keeps rows written during the run for the next run.
public struct WatermarkQuery: Sendable, Hashable {
    /// The relation as SQL: a quoted table name or a parenthesised query.
    public var relationSQL: String
    /// The watermark column's name in the relation.
    public var watermark: String
    /// The unique tie-breaker column's name in the relation.
    public var key: String

    /// A query over `relationSQL` ordered by `watermark`, then `key`.
    public init(relationSQL: String, watermark: String, key: String) {
        self.relationSQL = relationSQL
        self.watermark = watermark
        self.key = key
    }

    var quotedWatermark: String { "src." + WatermarkQuery.quote(watermark) }
    var quotedKey: String { "src." + WatermarkQuery.quote(key) }

    /// The highest watermark now in the relation; the run reads up to it and no further. No row when the
    /// relation has none.
    ///
    /// Written as the first row in descending order rather than as `max()`: PostgreSQL answers `max()` from
    /// an index only for a query on one table, and a source query with joins (even joins it then removes
    /// as unused) scans every row: 18 ms for 50,000 conversations against 0.06 ms for the backward index
    /// scan this gets, which grows with the table. The order is the same as `max()`'s (the type's default
    /// ordering), and NULL watermarks are left out as `max()` leaves them out.
    public var upperBoundSQL: String {
        """
        SELECT \(quotedWatermark) AS upper_bound FROM \(relationSQL) AS src
        WHERE \(quotedWatermark) IS NOT NULL
        ORDER BY \(quotedWatermark) DESC
        LIMIT 1
        """
    }

    /// The watermark's column alone and no row, for its type: PostgreSQL plans the query and reads nothing.
    public var watermarkTypeSQL: String {
        "SELECT \(quotedWatermark) FROM \(relationSQL) AS src LIMIT 0"
    }

    /// The first page: `$1` the upper bound, `$2` the page size.
    public var firstPageSQL: String {
        """
        SELECT * FROM \(relationSQL) AS src
        WHERE \(quotedWatermark) <= $1
        ORDER BY \(quotedWatermark), \(quotedKey)
        LIMIT $2
        """
    }

    /// A page after a position: `$1` the upper bound, `$2` the page size, `$3`/`$4` the last watermark and key.
    public var nextPageSQL: String {
        """
        SELECT * FROM \(relationSQL) AS src
        WHERE \(quotedWatermark) <= $1 AND (\(quotedWatermark), \(quotedKey)) > ($3, $4)
        ORDER BY \(quotedWatermark), \(quotedKey)
        LIMIT $2
        """
    }

    /// The rows of `range`, after a position when `after` (`$2`/`$3` for `.upTo`, `$3`/`$4` for a
    /// window, following the range's own binds), in watermark and key order, without a limit: the
    /// statement a cursor runs once and fetches in pages.
    public func orderedSQL(in range: ReadRange, after: Bool) -> String {
        let (condition, next) = switch range {
        case .upTo: ("\(quotedWatermark) <= $1", 2)
        case .window: ("\(quotedWatermark) >= $1 AND \(quotedWatermark) < $2", 3)
        }
        let resume = after ? " AND (\(quotedWatermark), \(quotedKey)) > ($\(next), $\(next + 1))" : ""
        return """
            SELECT * FROM \(relationSQL) AS src
            WHERE \(condition)\(resume)
            ORDER BY \(quotedWatermark), \(quotedKey)
            """
    }

    /// A page of a backfill window: `$1` its start (inclusive), `$2` its end (exclusive), `$3` the page
    /// size, and after a position `$4`/`$5` its watermark and key.
    public func windowPageSQL(after: Bool) -> String {
        """
        SELECT * FROM \(relationSQL) AS src
        WHERE \(quotedWatermark) >= $1 AND \(quotedWatermark) < $2\(after ? " AND (\(quotedWatermark), \(quotedKey)) > ($4, $5)" : "")
        ORDER BY \(quotedWatermark), \(quotedKey)
        LIMIT $3
        """
    }

    /// How many rows a backfill window holds: `$1` its start (inclusive), `$2` its end (exclusive).
    public var windowCountSQL: String {
        "SELECT count(*) FROM \(relationSQL) AS src WHERE \(quotedWatermark) >= $1 AND \(quotedWatermark) < $2"
    }

    /// How many rows lie at or below the bound `$1`.
    public var countUpToSQL: String {
        "SELECT count(*) FROM \(relationSQL) AS src WHERE \(quotedWatermark) <= $1"
    }

    /// How many rows lie between a position and the bound (for progress and lag reports).
    public var countAfterSQL: String {
        "SELECT count(*) FROM \(relationSQL) AS src WHERE \(quotedWatermark) <= $1 AND (\(quotedWatermark), \(quotedKey)) > ($2, $3)"
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
