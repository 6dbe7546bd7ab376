import Foundation
public import Postgres
public import SyncCore

/// The connector's state in PostgreSQL: per-stream checkpoints, runs and rejects, in a schema of its own.
///
/// A checkpoint moves only in `commitBatch`, in the same transaction that records the batch's rejects, so
/// a crash at any moment leaves either both or neither.
public struct CheckpointStore: Sendable {
    /// The quoted schema name, ready for SQL.
    let schema: String
    /// The schema name as configured.
    public let schemaName: String
    /// The connection that holds state and the streams' advisory locks.
    public let connection: PostgresConnection

    /// Opens the store in `schemaName`, creating or migrating its tables first. From then on the
    /// connection keeps the statements it runs prepared (`PostgresConnection.keepStatements()`).
    ///
    /// - Throws: `CheckpointError` for an invalid schema name or a schema newer than this build;
    ///   `PostgresError` for database failures.
    public static func open(connection: PostgresConnection, schemaName: String = "asapp_sync") async throws -> CheckpointStore {
        guard CheckpointStore.isValidSchemaName(schemaName) else {
            throw CheckpointError(code: .invalidSchemaName,
                                  message: "state schema '\(schemaName)' must be a lower-case SQL identifier: a letter or '_' followed by letters, digits or '_', at most 63 characters")
        }
        let store = CheckpointStore(schema: "\"\(schemaName)\"", schemaName: schemaName, connection: connection)
        try await store.migrate()
        // The store runs a few statements over and over (a batch's commit, a group's lookups): prepared
        // once, they are neither parsed nor planned again.
        await connection.keepStatements()
        return store
    }

    /// Whether `name` is a plain lower-case identifier (no quoting surprises, no injection).
    public static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first == UInt8(ascii: "_") || (first >= 0x61 && first <= 0x7A) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// The version this build's migrations bring the schema to.
    public static var currentVersion: Int { StateSchema.migrations("s").count }

    /// Creates the schema and applies the migrations it lacks, serialised across processes.
    func migrate() async throws {
        let schema = self.schema
        let schemaName = self.schemaName
        let migrations = StateSchema.migrations(schema)
        let lockKey = PostgresConnection.advisoryLockKey(for: "asapp-sync:migrate:\(schemaName)")
        try await connection.withTransaction { conn in
            _ = try conn.query("SELECT pg_advisory_xact_lock($1)", [PostgresBind(lockKey)])
            try conn.execute("""
                CREATE SCHEMA IF NOT EXISTS \(schema);
                CREATE TABLE IF NOT EXISTS \(schema).schema_version (
                    version    integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """)
            let current = try conn.query("SELECT coalesce(max(version), 0) AS v FROM \(schema).schema_version").rows[0].decode(Int.self, column: "v")
            guard current <= migrations.count else {
                throw CheckpointError(code: .schemaTooNew,
                                      message: "state schema '\(schemaName)' is at version \(current), newer than this build's \(migrations.count); upgrade asapp-sync")
            }
            for version in (current + 1)..<(migrations.count + 1) {
                try conn.execute(migrations[version - 1])
                _ = try conn.query("INSERT INTO \(schema).schema_version (version) VALUES ($1)", [PostgresBind(version)])
            }
        }
    }

    /// The schema's version now.
    public func version() async throws -> Int {
        try await connection.query("SELECT coalesce(max(version), 0) AS v FROM \(schema).schema_version").rows[0].decode(Int.self, column: "v")
    }

    // MARK: Checkpoints

    /// Where `stream` stands, or `nil` when it has never delivered a row.
    public func position(of stream: String) async throws -> SyncPosition? {
        let rows = try await connection.query("SELECT watermark, key FROM \(schema).checkpoints WHERE stream = $1", [PostgresBind(stream)]).rows
        guard let row = rows.first,
              let watermark = try row.decode(String?.self, column: "watermark"),
              let key = try row.decode(String?.self, column: "key") else { return nil }
        return SyncPosition(watermark: watermark, key: key)
    }

    /// Forgets where `stream` stands: its next run starts from the first row.
    public func resetPosition(of stream: String) async throws {
        _ = try await connection.query("DELETE FROM \(schema).checkpoints WHERE stream = $1", [PostgresBind(stream)])
    }

    /// Records one acknowledged batch: its rejects and the stream's new position, atomically, in one
    /// statement (see `recordingRejects`): a round trip per batch instead of four (`BEGIN`, two statements,
    /// `COMMIT`), on the path that waits for every batch.
    public func commitBatch(stream: String, runID: Int64, position: SyncPosition?, acknowledgedRows: Int, rejects: [RejectRecord]) async throws {
        guard let position else {
            if !rejects.isEmpty { _ = try await connection.query(CheckpointStore.rejectsInsertSQL(schema: schema), CheckpointStore.rejectBinds(rejects, runID: runID)) }
            return
        }
        let schema = self.schema
        let (sql, binds) = CheckpointStore.recordingRejects(rejects, runID: runID, schema: schema,
                                                            then: { CheckpointStore.advanceSQL(schema: schema, firstParameter: $0) },
                                                            CheckpointStore.advanceBinds(stream, to: position, rows: acknowledgedRows, runID: runID))
        _ = try await connection.query(sql, binds)
    }

    /// One statement that inserts `rejects` (when there are any) and runs `statement`, atomically: the
    /// insert goes in a data-modifying `WITH`, which PostgreSQL runs with the statement as one transaction.
    /// `statement` is given the number of its first parameter (after the insert's, when there is one);
    /// `binds` are its parameters.
    static func recordingRejects(_ rejects: [RejectRecord], runID: Int64, schema: String, then statement: (Int) -> String,
                                 _ binds: [PostgresBind]) -> (sql: String, binds: [PostgresBind]) {
        guard !rejects.isEmpty else { return (statement(1), binds) }
        let recorded = rejectBinds(rejects, runID: runID)
        return ("WITH recorded AS (\n\(rejectsInsertSQL(schema: schema))\n)\n\(statement(recorded.count + 1))", recorded + binds)
    }

    /// Inserts reject records, inside the caller's transaction.
    static func record(_ rejects: [RejectRecord], runID: Int64, schema: String, on conn: isolated PostgresConnection) throws {
        // One statement for the whole batch: a batch of messages can carry hundreds of rejects, and one
        // round trip each would dominate its commit.
        guard !rejects.isEmpty else { return }
        _ = try conn.query(rejectsInsertSQL(schema: schema), rejectBinds(rejects, runID: runID))
    }

    /// The insert of a batch's rejects: `$1` the run, `$2`-`$11` one text array per column.
    static func rejectsInsertSQL(schema: String) -> String {
        """
        INSERT INTO \(schema).rejects
            (run_id, stream, source_key, watermark, event_id, payload, stage, field, http_status, error, attempts)
        SELECT $1, r.stream, r.source_key, r.watermark, r.event_id, r.payload::jsonb, r.stage, r.field, r.http_status::int,
               r.error, r.attempts::int
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                    $10::text[], $11::text[])
            WITH ORDINALITY AS r(stream, source_key, watermark, event_id, payload, stage, field, http_status, error, attempts, n)
        ORDER BY r.n
        """
    }

    /// The binds of `rejectsInsertSQL`.
    static func rejectBinds(_ rejects: [RejectRecord], runID: Int64) -> [PostgresBind] {
        [PostgresBind(runID), PostgresBind(rejects.map { $0.stream }), PostgresBind(rejects.map { $0.sourceKey }),
         PostgresBind(rejects.map { $0.watermark }), PostgresBind(rejects.map { $0.eventID }),
         PostgresBind(rejects.map { $0.payload?.jsonString }), PostgresBind(rejects.map { $0.stage.rawValue }),
         PostgresBind(rejects.map { $0.field }), PostgresBind(rejects.map { $0.httpStatus.map(String.init) }),
         PostgresBind(rejects.map { $0.error }), PostgresBind(rejects.map { String($0.attempts) })]
    }

    /// Moves a checkpoint, inside the caller's transaction.
    static func advance(_ stream: String, to position: SyncPosition, rows: Int, runID: Int64, schema: String,
                        on conn: isolated PostgresConnection) throws {
        _ = try conn.query(advanceSQL(schema: schema), advanceBinds(stream, to: position, rows: rows, runID: runID))
    }

    /// The upsert of a checkpoint; its five parameters (`advanceBinds`) are numbered from `first`.
    static func advanceSQL(schema: String, firstParameter first: Int = 1) -> String {
        let p = (0..<5).map { "$\(first + $0)" }
        return """
        INSERT INTO \(schema).checkpoints (stream, watermark, key, rows_acknowledged, last_run_id, updated_at)
        VALUES (\(p[0])::text, \(p[1])::text, \(p[2])::text, \(p[3])::bigint, \(p[4])::bigint, now())
        ON CONFLICT (stream) DO UPDATE SET
            watermark = excluded.watermark, key = excluded.key,
            rows_acknowledged = \(schema).checkpoints.rows_acknowledged + excluded.rows_acknowledged,
            last_run_id = excluded.last_run_id, updated_at = now()
        """
    }

    /// The parameters of `advanceSQL`: the stream, its new position, the rows acknowledged and the run.
    static func advanceBinds(_ stream: String, to position: SyncPosition, rows: Int, runID: Int64) -> [PostgresBind] {
        [PostgresBind(stream), PostgresBind(position.watermark), PostgresBind(position.key), PostgresBind(rows), PostgresBind(runID)]
    }

    // MARK: Runs

    /// Records the start of a run and returns its id.
    public func startRun(kind: String, streams: [String]) async throws -> Int64 {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        let row = try await connection.query("""
            INSERT INTO \(schema).runs (kind, streams, status, host, pid) VALUES ($1, $2::text[], 'running', $3, $4) RETURNING id
            """, [PostgresBind(kind), PostgresBind(SourceValue.stringArray(streams)), PostgresBind(host), PostgresBind(pid)]).rows[0]
        return try row.decode(Int64.self, column: "id")
    }

    /// Records one stream's outcome within a run.
    public func recordStream(runID: Int64, stream: String, status: RunStatus, stats: StreamRunStats,
                             upperBound: String?, start: SyncPosition?, end: SyncPosition?, error: String?) async throws {
        _ = try await connection.query("""
            INSERT INTO \(schema).run_streams
                (run_id, stream, status, rows_read, items_sent, items_rejected, requests, upper_bound, start_watermark, end_watermark, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (run_id, stream) DO UPDATE SET status = excluded.status, rows_read = excluded.rows_read,
                items_sent = excluded.items_sent, items_rejected = excluded.items_rejected, requests = excluded.requests,
                upper_bound = excluded.upper_bound, end_watermark = excluded.end_watermark, error = excluded.error
            """, [PostgresBind(runID), PostgresBind(stream), PostgresBind(status.rawValue), PostgresBind(stats.rowsRead),
                  PostgresBind(stats.itemsSent), PostgresBind(stats.itemsRejected), PostgresBind(stats.requests),
                  PostgresBind(upperBound), PostgresBind(start?.watermark), PostgresBind(end?.watermark), PostgresBind(error)])
    }

    /// Records the end of a run with its totals.
    public func finishRun(id: Int64, status: RunStatus, stats: StreamRunStats, error: String?) async throws {
        _ = try await connection.query("""
            UPDATE \(schema).runs SET status = $2, finished_at = now(), rows_read = $3, items_sent = $4, items_rejected = $5, error = $6
            WHERE id = $1
            """, [PostgresBind(id), PostgresBind(status.rawValue), PostgresBind(stats.rowsRead), PostgresBind(stats.itemsSent),
                  PostgresBind(stats.itemsRejected), PostgresBind(error)])
    }

    // MARK: Locks

    /// Takes the stream's lock for this connection's session, or returns false when another run holds it.
    public func tryLock(stream: String) async throws -> Bool {
        try await connection.tryAdvisoryLock(lockKey(stream))
    }

    /// Releases a lock taken with `tryLock(stream:)`.
    public func unlock(stream: String) async throws {
        _ = try await connection.advisoryUnlock(lockKey(stream))
    }

    func lockKey(_ stream: String) -> Int64 {
        PostgresConnection.advisoryLockKey(for: "asapp-sync:stream:\(schemaName):\(stream)")
    }

    // MARK: Rejects

    /// How many rejects of `stream` are still open.
    public func openRejectCount(stream: String) async throws -> Int {
        try await connection.query("SELECT count(*)::bigint AS n FROM \(schema).rejects WHERE stream = $1 AND status = 'open'",
                                   [PostgresBind(stream)]).rows[0].decode(Int.self, column: "n")
    }
}
