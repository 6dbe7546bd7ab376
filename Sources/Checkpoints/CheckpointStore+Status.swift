public import Postgres
public import SyncCore

/// One checkpoint's standing, as `status` reports it.
public struct CheckpointStatus: Sendable {
    public var name: String
    public var position: SyncPosition?
    public var rowsAcknowledged: Int
    public var updatedAt: String?
    /// The last run that touched this checkpoint: when it started, how it ended, and why if it failed.
    public var lastRunStarted: String?
    public var lastRunStatus: String?
    public var lastRunError: String?
    public var openRejects: Int
}

extension CheckpointStore {
    /// The standing of each named checkpoint (missing ones have no position and no runs).
    public func status(of names: [String]) async throws -> [CheckpointStatus] {
        var out: [CheckpointStatus] = []
        for name in names {
            let rows = try await connection.query("""
                SELECT c.watermark, c.key, coalesce(c.rows_acknowledged, 0) AS acknowledged, c.updated_at::text AS updated_at,
                       r.started_at::text AS started_at, rs.status, rs.error,
                       (SELECT count(*) FROM \(schema).rejects j WHERE j.stream = $1 AND j.status = 'open') AS open_rejects
                FROM (SELECT $1::text AS stream) s
                LEFT JOIN \(schema).checkpoints c ON c.stream = s.stream
                LEFT JOIN LATERAL (SELECT * FROM \(schema).run_streams x WHERE x.stream = s.stream ORDER BY x.run_id DESC LIMIT 1) rs ON true
                LEFT JOIN \(schema).runs r ON r.id = rs.run_id
                """, [PostgresBind(name)])
            let row = rows[0]
            var position: SyncPosition?
            if let w = try row.decode(String?.self, column: "watermark"), let k = try row.decode(String?.self, column: "key") {
                position = SyncPosition(watermark: w, key: k)
            }
            out.append(CheckpointStatus(name: name, position: position, rowsAcknowledged: try row.decode(Int.self, column: "acknowledged"),
                                        updatedAt: try row.decode(String?.self, column: "updated_at"),
                                        lastRunStarted: try row.decode(String?.self, column: "started_at"),
                                        lastRunStatus: try row.decode(String?.self, column: "status"),
                                        lastRunError: try row.decode(String?.self, column: "error"),
                                        openRejects: try row.decode(Int.self, column: "open_rejects")))
        }
        return out
    }
}
