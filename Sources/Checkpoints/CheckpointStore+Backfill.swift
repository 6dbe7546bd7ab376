public import Postgres
public import SyncCore

/// One window of a backfill plan and how far it got.
public struct BackfillWindow: Sendable, Hashable {
    public var backfillID: Int64
    public var sequence: Int
    /// The window's start (inclusive) and end (exclusive), in the watermark column's text form.
    public var from: String
    public var to: String
    public var done: Bool
    /// The last acknowledged row in the window.
    public var position: SyncPosition?
    public var rowsRead: Int
    public var itemsSent: Int
    public var itemsRejected: Int
}

/// A backfill plan: its id and windows.
public struct BackfillPlan: Sendable {
    public var id: Int64
    public var stream: String
    public var windows: [BackfillWindow]
    /// Whether this plan was found from an earlier run (a resume) rather than made now.
    public var resumed: Bool
}

extension CheckpointStore {
    /// The plan for this stream and range, made now (windows computed by PostgreSQL from `window`, an
    /// interval such as `1 day` for timestamp watermarks or a whole number for numeric ones) or found
    /// from an earlier run of the same command.
    public func backfillPlan(stream: String, from: String, to: String, window: String, numeric: Bool) async throws -> BackfillPlan {
        let schema = self.schema
        let (id, resumed) = try await connection.withTransaction { conn -> (Int64, Bool) in
            let existing = try conn.query("""
                SELECT id FROM \(schema).backfills WHERE stream = $1 AND range_from = $2 AND range_to = $3 AND window_size = $4
                """, [PostgresBind(stream), PostgresBind(from), PostgresBind(to), PostgresBind(window)])
            if let row = existing.first { return (try row.decode(Int64.self, column: "id"), true) }
            let id = try conn.query("""
                INSERT INTO \(schema).backfills (stream, range_from, range_to, window_size) VALUES ($1, $2, $3, $4) RETURNING id
                """, [PostgresBind(stream), PostgresBind(from), PostgresBind(to), PostgresBind(window)])[0].decode(Int64.self, column: "id")
            let series = numeric
                ? """
                  SELECT (row_number() OVER (ORDER BY g))::int AS seq, g::text AS lo, least(g + $3::bigint, $2::bigint)::text AS hi
                  FROM generate_series($1::bigint, $2::bigint - 1, $3::bigint) AS g
                  """
                : """
                  SELECT (row_number() OVER (ORDER BY g))::int AS seq,
                         to_char(g AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS lo,
                         to_char(least(g + $3::interval, $2::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS hi
                  FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 microsecond', $3::interval) AS g
                  """
            _ = try conn.query("""
                INSERT INTO \(schema).backfill_windows (backfill_id, seq, window_from, window_to)
                SELECT $4, w.seq, w.lo, w.hi FROM (\(series)) AS w
                """, [PostgresBind(from), PostgresBind(to), PostgresBind(window), PostgresBind(id)])
            return (id, false)
        }
        return BackfillPlan(id: id, stream: stream, windows: try await backfillWindows(id), resumed: resumed)
    }

    /// The windows of backfill `id`, in order.
    public func backfillWindows(_ id: Int64) async throws -> [BackfillWindow] {
        try await connection.query("""
            SELECT seq, window_from, window_to, status, watermark, key, rows_read, items_sent, items_rejected
            FROM \(schema).backfill_windows WHERE backfill_id = $1 ORDER BY seq
            """, [PostgresBind(id)]).map { row in
            var position: SyncPosition?
            if let w = try row.decode(String?.self, column: "watermark"), let k = try row.decode(String?.self, column: "key") {
                position = SyncPosition(watermark: w, key: k)
            }
            return BackfillWindow(backfillID: id, sequence: try row.decode(Int.self, column: "seq"),
                                  from: try row.decode(String.self, column: "window_from"), to: try row.decode(String.self, column: "window_to"),
                                  done: try row.decode(String.self, column: "status") == "done", position: position,
                                  rowsRead: try row.decode(Int.self, column: "rows_read"), itemsSent: try row.decode(Int.self, column: "items_sent"),
                                  itemsRejected: try row.decode(Int.self, column: "items_rejected"))
        }
    }

    /// Records one acknowledged batch of a window: its rejects, the window's new position and counters,
    /// atomically, in one statement (see `recordingRejects`).
    public func commitWindowBatch(_ window: BackfillWindow, runID: Int64, position: SyncPosition?, rows: Int, sent: Int,
                                  rejects: [RejectRecord]) async throws {
        let (sql, binds) = CheckpointStore.recordingRejects(rejects, runID: runID, schema: schema, then: windowProgressSQL(firstParameter:), [
            PostgresBind(window.backfillID), PostgresBind(window.sequence), PostgresBind(position?.watermark),
            PostgresBind(position?.key), PostgresBind(rows), PostgresBind(sent), PostgresBind(rejects.count),
        ])
        _ = try await connection.query(sql, binds)
    }

    /// The update of a window's position and counters; its seven parameters are numbered from `first`:
    /// backfill, window, watermark, key, rows read, items sent, items rejected.
    private func windowProgressSQL(firstParameter first: Int) -> String {
        let p = (0..<7).map { "$\(first + $0)" }
        return """
            UPDATE \(schema).backfill_windows SET watermark = coalesce(\(p[2])::text, watermark), key = coalesce(\(p[3])::text, key),
                rows_read = rows_read + \(p[4])::bigint, items_sent = items_sent + \(p[5])::bigint,
                items_rejected = items_rejected + \(p[6])::bigint, updated_at = now()
            WHERE backfill_id = \(p[0])::bigint AND seq = \(p[1])::int
            """
    }

    /// Marks a window done (or failed, with the reason).
    public func finishWindow(_ window: BackfillWindow, error: String?) async throws {
        _ = try await connection.query("""
            UPDATE \(schema).backfill_windows SET status = $3, error = $4, updated_at = now() WHERE backfill_id = $1 AND seq = $2
            """, [PostgresBind(window.backfillID), PostgresBind(window.sequence), PostgresBind(error == nil ? "done" : "failed"),
                  PostgresBind(error)])
    }

    /// Marks backfill `id` completed when every window is done; returns whether it is.
    @discardableResult
    public func completeBackfillIfDone(_ id: Int64) async throws -> Bool {
        let result = try await connection.query("""
            UPDATE \(schema).backfills SET status = 'completed', finished_at = now()
            WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM \(schema).backfill_windows WHERE backfill_id = $1 AND status <> 'done')
            RETURNING id
            """, [PostgresBind(id)])
        return !result.isEmpty
    }

    /// Takes the lock of backfill `id` for this session (one process per plan), or returns false.
    public func tryLockBackfill(_ id: Int64) async throws -> Bool {
        try await connection.tryAdvisoryLock(PostgresConnection.advisoryLockKey(for: "asapp-sync:backfill:\(schemaName):\(id)"))
    }

    /// Backfills not completed, with their windows done and total, for `status`.
    public func runningBackfills() async throws -> [(stream: String, id: Int64, done: Int, total: Int, rows: Int)] {
        try await connection.query("""
            SELECT b.id, b.stream, count(*) FILTER (WHERE w.status = 'done')::bigint AS done, count(*)::bigint AS total,
                   coalesce(sum(w.rows_read), 0)::bigint AS rows
            FROM \(schema).backfills b JOIN \(schema).backfill_windows w ON w.backfill_id = b.id
            WHERE b.status = 'running' GROUP BY b.id, b.stream ORDER BY b.id
            """).map { row in
            (try row.decode(String.self, column: "stream"), try row.decode(Int64.self, column: "id"),
             try row.decode(Int.self, column: "done"), try row.decode(Int.self, column: "total"), try row.decode(Int.self, column: "rows"))
        }
    }
}
