public import Postgres
public import SyncCore

/// The fixed range of messages a transcripts run delivers: after `start`, up to and including `end`.
public struct MessageWindow: Sendable, Hashable {
    public var start: SyncPosition?
    public var end: SyncPosition
    /// Whether the window's messages that cannot be placed in a conversation were already recorded.
    public var orphansDone: Bool

    /// A window after `start` up to `end`.
    public init(start: SyncPosition?, end: SyncPosition, orphansDone: Bool = false) {
        self.start = start
        self.end = end
        self.orphansDone = orphansDone
    }
}

/// A conversation the API knows: its id there.
public struct KnownConversation: Sendable, Hashable {
    public var externalID: String
    public var asappID: String
}

extension CheckpointStore {
    // MARK: Conversation ids

    /// The API's id for the conversation whose source key is `sourceKey`, if a run created it.
    public func conversation(stream: String, sourceKey: String) async throws -> KnownConversation? {
        let rows = try await connection.query(
            "SELECT external_id, asapp_id FROM \(schema).conversations WHERE stream = $1 AND source_key = $2",
            [PostgresBind(stream), PostgresBind(sourceKey)]).rows
        guard let row = rows.first else { return nil }
        return KnownConversation(externalID: try row.decode(String.self, column: "external_id"),
                                 asappID: try row.decode(String.self, column: "asapp_id"))
    }

    /// Records one acknowledged batch of conversations: the ids the API gave them, their rejects and the
    /// stream's new position, in one transaction.
    public func commitConversations(stream: String, checkpoint: String, runID: Int64, position: SyncPosition?, acknowledgedRows: Int,
                                    created: [(sourceKey: String, externalID: String, asappID: String)],
                                    rejects: [RejectRecord]) async throws {
        let schema = self.schema
        // One statement for the whole batch. A key appears once per statement (ON CONFLICT cannot touch a
        // row twice), the last id given winning.
        var latest: [String: Int] = [:]
        for (i, c) in created.enumerated() { latest[c.sourceKey] = i }
        let unique = created.indices.filter { latest[created[$0].sourceKey] == $0 }.map { created[$0] }
        try await connection.withTransaction { conn in
            if !unique.isEmpty {
                _ = try conn.query("""
                    INSERT INTO \(schema).conversations (stream, source_key, external_id, asapp_id)
                    SELECT $1, c.source_key, c.external_id, c.asapp_id FROM unnest($2::text[], $3::text[], $4::text[])
                        AS c(source_key, external_id, asapp_id)
                    ON CONFLICT (stream, source_key) DO UPDATE SET external_id = excluded.external_id,
                        asapp_id = excluded.asapp_id, updated_at = now()
                    """, [PostgresBind(stream), PostgresBind(unique.map { $0.sourceKey }), PostgresBind(unique.map { $0.externalID }),
                          PostgresBind(unique.map { $0.asappID })])
            }
            try CheckpointStore.record(rejects, runID: runID, schema: schema, on: conn)
            if let position {
                try CheckpointStore.advance(checkpoint, to: position, rows: acknowledgedRows, runID: runID, schema: schema, on: conn)
            }
        }
    }

    // MARK: Message windows

    /// The window a run of `checkpoint` left unfinished, if any.
    public func messageWindow(_ checkpoint: String) async throws -> MessageWindow? {
        let rows = try await connection.query("""
            SELECT start_watermark, start_key, end_watermark, end_key, orphans_done FROM \(schema).message_windows WHERE stream = $1
            """, [PostgresBind(checkpoint)]).rows
        guard let row = rows.first else { return nil }
        let start: SyncPosition? = try {
            guard let w = try row.decode(String?.self, column: "start_watermark"), let k = try row.decode(String?.self, column: "start_key")
            else { return nil }
            return SyncPosition(watermark: w, key: k)
        }()
        return MessageWindow(start: start,
                             end: SyncPosition(watermark: try row.decode(String.self, column: "end_watermark"),
                                               key: try row.decode(String.self, column: "end_key")),
                             orphansDone: try row.decode(Bool.self, column: "orphans_done"))
    }

    /// Stores a new window for `checkpoint`; per-conversation progress starts empty.
    public func openMessageWindow(_ checkpoint: String, _ window: MessageWindow) async throws {
        let schema = self.schema
        try await connection.withTransaction { conn in
            _ = try conn.query("DELETE FROM \(schema).message_progress WHERE stream = $1", [PostgresBind(checkpoint)])
            _ = try conn.query("""
                INSERT INTO \(schema).message_windows (stream, start_watermark, start_key, end_watermark, end_key) VALUES ($1, $2, $3, $4, $5)
                """, [PostgresBind(checkpoint), PostgresBind(window.start?.watermark), PostgresBind(window.start?.key),
                      PostgresBind(window.end.watermark), PostgresBind(window.end.key)])
        }
    }

    /// Records the window's messages that belong to no conversation, once.
    public func recordOrphans(_ checkpoint: String, runID: Int64, rejects: [RejectRecord]) async throws {
        let schema = self.schema
        try await connection.withTransaction { conn in
            try CheckpointStore.record(rejects, runID: runID, schema: schema, on: conn)
            _ = try conn.query("UPDATE \(schema).message_windows SET orphans_done = true WHERE stream = $1", [PostgresBind(checkpoint)])
        }
    }

    /// The order value and key of the last acknowledged message of a conversation in the open window.
    public func messageProgress(_ checkpoint: String, conversationKey: String) async throws -> SyncPosition? {
        let rows = try await connection.query("""
            SELECT last_order, last_key FROM \(schema).message_progress WHERE stream = $1 AND conversation_key = $2
            """, [PostgresBind(checkpoint), PostgresBind(conversationKey)]).rows
        guard let row = rows.first else { return nil }
        return SyncPosition(watermark: try row.decode(String.self, column: "last_order"), key: try row.decode(String.self, column: "last_key"))
    }

    /// Records one acknowledged batch of a conversation's messages: its rejects and the conversation's
    /// progress in the window, in one transaction.
    public func commitMessages(_ checkpoint: String, runID: Int64, conversationKey: String, progress: SyncPosition,
                               rejects: [RejectRecord]) async throws {
        let schema = self.schema
        try await connection.withTransaction { conn in
            try CheckpointStore.record(rejects, runID: runID, schema: schema, on: conn)
            _ = try conn.query("""
                INSERT INTO \(schema).message_progress (stream, conversation_key, last_order, last_key) VALUES ($1, $2, $3, $4)
                ON CONFLICT (stream, conversation_key) DO UPDATE SET last_order = excluded.last_order, last_key = excluded.last_key
                """, [PostgresBind(checkpoint), PostgresBind(conversationKey), PostgresBind(progress.watermark), PostgresBind(progress.key)])
        }
    }

    /// Closes a finished window: the stream's checkpoint moves to its end, and the window and its
    /// progress are removed, in one transaction.
    public func closeMessageWindow(_ checkpoint: String, runID: Int64, window: MessageWindow, rows: Int) async throws {
        let schema = self.schema
        try await connection.withTransaction { conn in
            try CheckpointStore.advance(checkpoint, to: window.end, rows: rows, runID: runID, schema: schema, on: conn)
            _ = try conn.query("DELETE FROM \(schema).message_progress WHERE stream = $1", [PostgresBind(checkpoint)])
            _ = try conn.query("DELETE FROM \(schema).message_windows WHERE stream = $1", [PostgresBind(checkpoint)])
        }
    }
}
