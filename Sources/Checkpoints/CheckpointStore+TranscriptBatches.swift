public import Postgres
public import SyncCore

extension CheckpointStore {
    /// The API's ids of the conversations among `sourceKeys` that a run created, by source key: one
    /// round trip for a whole group of conversations.
    public func conversations(stream: String, sourceKeys: [String]) async throws -> [String: KnownConversation] {
        guard !sourceKeys.isEmpty else { return [:] }
        let result = try await connection.query(CheckpointStore.conversationsSQL(schema: schema),
                                                [PostgresBind(stream), PostgresBind(sourceKeys)])
        var known: [String: KnownConversation] = [:]
        for row in result {
            known[try row.decode(String.self, at: 0)] = KnownConversation(externalID: try row.decode(String.self, at: 1),
                                                                          asappID: try row.decode(String.self, at: 2))
        }
        return known
    }

    /// `conversations(stream:sourceKeys:)`'s statement: `$1` the stream, `$2` the source keys.
    static func conversationsSQL(schema: String) -> String {
        keyLookup(select: ["source_key", "external_id", "asapp_id"], from: "\(schema).conversations", key: "source_key")
    }

    /// `messageProgress(_:conversationKeys:)`'s statement: `$1` the checkpoint, `$2` the conversation keys.
    static func messageProgressSQL(schema: String) -> String {
        keyLookup(select: ["conversation_key", "last_order", "last_key"], from: "\(schema).message_progress", key: "conversation_key")
    }

    /// The rows of `table` (primary key `stream`, `key`) of stream `$1` and the keys in the array `$2`.
    ///
    /// One probe of the primary key per key, whatever the planner knows of the table. The obvious
    /// `stream = $1 AND key = ANY($2)` leaves the way to the planner: on a table no `ANALYZE` has seen
    /// yet (one filled during the run, as the message progress of a first transcripts run is), it guesses
    /// that few rows share a stream, searches the index by `stream` alone and filters every row of the
    /// stream by key, so that each batch's lookup grows with the table (5 ms at 25,000 rows, against
    /// 0.15 ms by key).
    private static func keyLookup(select columns: [String], from table: String, key: String) -> String {
        """
        SELECT \(columns.map { "t.\($0)" }.joined(separator: ", "))
        FROM unnest($2::text[]) AS k(\(key))
        CROSS JOIN LATERAL (SELECT * FROM \(table) AS r WHERE r.stream = $1 AND r.\(key) = k.\(key) LIMIT 1) AS t
        """
    }

    /// The progress in the open window of the conversations among `conversationKeys` that have any, by key.
    public func messageProgress(_ checkpoint: String, conversationKeys: [String]) async throws -> [String: SyncPosition] {
        guard !conversationKeys.isEmpty else { return [:] }
        let result = try await connection.query(CheckpointStore.messageProgressSQL(schema: schema),
                                                [PostgresBind(checkpoint), PostgresBind(conversationKeys)])
        var progress: [String: SyncPosition] = [:]
        for row in result {
            progress[try row.decode(String.self, at: 0)] = SyncPosition(watermark: try row.decode(String.self, at: 1),
                                                                        key: try row.decode(String.self, at: 2))
        }
        return progress
    }

    /// Records the acknowledged messages of several conversations: their rejects and each conversation's
    /// progress in the window, in one transaction.
    public func commitMessages(_ checkpoint: String, runID: Int64, progress: [(conversationKey: String, position: SyncPosition)],
                               rejects: [RejectRecord]) async throws {
        guard !progress.isEmpty || !rejects.isEmpty else { return }
        let schema = self.schema
        let keys = progress.map { $0.conversationKey }
        let orders = progress.map { $0.position.watermark }
        let lastKeys = progress.map { $0.position.key }
        try await connection.withTransaction { conn in
            try CheckpointStore.record(rejects, runID: runID, schema: schema, on: conn)
            if !keys.isEmpty {
                _ = try conn.query("""
                    INSERT INTO \(schema).message_progress (stream, conversation_key, last_order, last_key)
                    SELECT $1, p.conversation_key, p.last_order, p.last_key FROM unnest($2::text[], $3::text[], $4::text[])
                        AS p(conversation_key, last_order, last_key)
                    ON CONFLICT (stream, conversation_key) DO UPDATE SET last_order = excluded.last_order, last_key = excluded.last_key
                    """, [PostgresBind(checkpoint), PostgresBind(keys), PostgresBind(orders), PostgresBind(lastKeys)])
            }
        }
    }
}
