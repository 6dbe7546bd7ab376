import Postgres
import SyncCore

extension CheckpointStore {
    /// Where a reject stands.
    public enum RejectStatus: String, Sendable, Hashable, CaseIterable {
        /// Not delivered yet: a retry may heal it.
        case open
        /// Delivered by a later retry (or left out on purpose by the mapping now in force).
        case resolved
        /// Given up on by a person; never retried.
        case discarded
    }

    /// Which rejects an operation is about. Every criterion given must hold; an empty filter selects all.
    public struct RejectFilter: Sendable, Hashable {
        /// Mapping stream names: a name selects its own rejects and its `name:conversations` and
        /// `name:messages` parts. Default: empty, every stream.
        public var streams: [String] = []
        /// Only rejects in this state. Default: `nil`, any state.
        public var status: RejectStatus? = nil
        /// Only these ids. Default: empty, any id.
        public var ids: [Int64] = []
        /// At most this many, lowest ids first. Default: `nil`, no limit.
        public var limit: Int? = nil

        /// A filter selecting every reject.
        public init() {}
    }

    /// One row of the rejects table.
    public struct StoredReject: Sendable, Hashable {
        /// The reject's id (stable; `rejects retry --id` and `rejects discard --id` take it).
        public var id: Int64
        /// The run that recorded it, while that run is kept.
        public var runID: Int64?
        /// What was refused and why; `record.stream` is the checkpoint name (`stream`, `stream:messages`…).
        public var record: RejectRecord
        /// Where it stands.
        public var status: RejectStatus
        /// When it was first recorded, UTC, `yyyy-MM-ddTHH:mm:ssZ`.
        public var createdAt: String
    }

    /// The rejects `filter` selects, lowest id first; payloads only when `includePayload` (they can be large).
    public func rejects(_ filter: RejectFilter, includePayload: Bool = false) async throws -> [StoredReject] {
        var (clause, binds) = CheckpointStore.whereClause(filter)
        var sql = """
            SELECT id, run_id, stream, source_key, watermark, event_id, \(includePayload ? "payload::text" : "NULL::text") AS payload,
                   stage, field, http_status, error, attempts, status,
                   to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created
            FROM \(schema).rejects\(clause) ORDER BY id
            """
        if let limit = filter.limit {
            binds.append(PostgresBind(limit))
            sql += " LIMIT $\(binds.count)"
        }
        let rows = try await connection.query(sql, binds).rows
        return try rows.map { row in
            let payload = try row.decode(String?.self, column: "payload").flatMap { try? JSONParser.parse(Array($0.utf8)) }
            let stage = RejectRecord.Stage(rawValue: try row.decode(String.self, column: "stage")) ?? .api
            let record = RejectRecord(
                stream: try row.decode(String.self, column: "stream"), sourceKey: try row.decode(String.self, column: "source_key"),
                watermark: try row.decode(String?.self, column: "watermark"), eventID: try row.decode(String?.self, column: "event_id"),
                payload: payload, stage: stage, field: try row.decode(String?.self, column: "field"),
                httpStatus: try row.decode(Int?.self, column: "http_status"), error: try row.decode(String.self, column: "error"),
                attempts: try row.decode(Int.self, column: "attempts"))
            return StoredReject(id: try row.decode(Int64.self, column: "id"), runID: try row.decode(Int64?.self, column: "run_id"),
                                record: record, status: RejectStatus(rawValue: try row.decode(String.self, column: "status")) ?? .open,
                                createdAt: try row.decode(String.self, column: "created"))
        }
    }

    /// Marks the open rejects `ids` resolved; returns how many changed.
    @discardableResult
    public func resolveRejects(ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let result = try await connection.query("""
            UPDATE \(schema).rejects SET status = 'resolved' WHERE id = ANY($1::bigint[]) AND status = 'open'
            """, [PostgresBind(ids.map { Optional(String($0)) })])
        return result.affectedRows ?? 0
    }

    /// Records that an open reject failed again: one more attempt, with the new stage, field, status and error.
    public func recordRejectFailure(id: Int64, stage: RejectRecord.Stage, field: String?, httpStatus: Int?, error: String) async throws {
        _ = try await connection.query("""
            UPDATE \(schema).rejects SET attempts = attempts + 1, stage = $2, field = $3, http_status = $4, error = $5
            WHERE id = $1 AND status = 'open'
            """, [PostgresBind(id), PostgresBind(stage.rawValue), PostgresBind(field),
                  PostgresBind(text: httpStatus.map(String.init)), PostgresBind(error)])
    }

    /// Marks the open rejects `filter` selects discarded (its `status` and `limit` are ignored); returns how many changed.
    @discardableResult
    public func discardRejects(_ filter: RejectFilter) async throws -> Int {
        var open = filter
        open.status = .open
        open.limit = nil
        let (clause, binds) = CheckpointStore.whereClause(open)
        let result = try await connection.query("UPDATE \(schema).rejects SET status = 'discarded'\(clause)", binds)
        return result.affectedRows ?? 0
    }

    /// ` WHERE …` for `filter` (limit aside), or the empty string, with its binds.
    static func whereClause(_ filter: RejectFilter) -> (String, [PostgresBind]) {
        var conditions: [String] = []
        var binds: [PostgresBind] = []
        if !filter.streams.isEmpty {
            binds.append(PostgresBind(filter.streams.map { Optional($0) }))
            // A mapping stream's transcripts parts are `name:conversations` and `name:messages`.
            conditions.append("(stream = ANY($\(binds.count)::text[]) OR split_part(stream, ':', 1) = ANY($\(binds.count)::text[]))")
        }
        if let status = filter.status {
            binds.append(PostgresBind(status.rawValue))
            conditions.append("status = $\(binds.count)")
        }
        if !filter.ids.isEmpty {
            binds.append(PostgresBind(filter.ids.map { Optional(String($0)) }))
            conditions.append("id = ANY($\(binds.count)::bigint[])")
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), binds)
    }
}
