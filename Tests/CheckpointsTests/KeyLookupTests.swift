@testable import Checkpoints
import Foundation
import Postgres
import SyncCore
import TestSupport
import Testing

@Suite("State rows looked up by key")
struct KeyLookupTests {
    @Test("give each key asked for that the stream has, once, and nothing of another stream")
    func theKeysAskedFor() async throws {
        try await withTestConnection { connection in
            let store = try await CheckpointStore.open(connection: connection, schemaName: "lookup_state")
            let runID = try await store.startRun(kind: "sync", streams: ["t", "u"])
            let one = SyncPosition(watermark: "2024-01-01 00:00:00+00", key: "10")
            let two = SyncPosition(watermark: "2024-01-02 00:00:00+00", key: "20")
            try await store.commitMessages("t:messages", runID: runID, progress: [("1", one), ("2", two)], rejects: [])
            try await store.commitMessages("u:messages", runID: runID, progress: [("3", one)], rejects: [])
            let progress = try await store.messageProgress("t:messages", conversationKeys: ["2", "3", "1", "2", "9"])
            #expect(progress == ["1": one, "2": two])

            try await store.commitConversations(stream: "t", checkpoint: "t:conversations", runID: runID, position: nil, acknowledgedRows: 0,
                                                created: [("1", "conv-1", "A-1"), ("2", "conv-2", "A-2")], rejects: [])
            try await store.commitConversations(stream: "u", checkpoint: "u:conversations", runID: runID, position: nil, acknowledgedRows: 0,
                                                created: [("5", "conv-5", "B-5")], rejects: [])
            let known = try await store.conversations(stream: "t", sourceKeys: ["5", "2", "2"])
            #expect(known == ["2": KnownConversation(externalID: "conv-2", asappID: "A-2")])

            // The store's statements are kept prepared from their second run: asked again, with other keys.
            for _ in 1...2 {
                #expect(try await store.messageProgress("t:messages", conversationKeys: ["1"]) == ["1": one])
                #expect(try await store.conversations(stream: "t", sourceKeys: ["1"]) == ["1": KnownConversation(externalID: "conv-1", asappID: "A-1")])
            }
            #expect(await connection.keptStatementCount >= 4)
        }
    }

    /// The state tables of a first run fill during it, before autovacuum has analysed them: the lookup of
    /// each batch must not come to read the whole stream.
    @Test("read only the rows asked for, from a table no ANALYZE has seen", arguments: ["conversations", "message_progress"])
    func onlyTheRowsAskedFor(table: String) async throws {
        try await withTestConnection { connection in
            let store = try await CheckpointStore.open(connection: connection, schemaName: "lookup_state")
            try await connection.execute("ALTER TABLE lookup_state.\(table) SET (autovacuum_enabled = false)")
            let sql: String
            if table == "conversations" {
                try await connection.execute("""
                    INSERT INTO lookup_state.conversations (stream, source_key, external_id, asapp_id)
                    SELECT 's', g::text, 'conv-' || g, 'A-' || g FROM generate_series(1, 20000) g
                    """)
                sql = CheckpointStore.conversationsSQL(schema: store.schema)
            } else {
                try await connection.execute("""
                    INSERT INTO lookup_state.message_progress (stream, conversation_key, last_order, last_key)
                    SELECT 's', g::text, '2024-01-01 00:00:00+00', g::text FROM generate_series(1, 20000) g
                    """)
                sql = CheckpointStore.messageProgressSQL(schema: store.schema)
            }
            let keys = (10_001...10_030).map(String.init) + ["absent"]
            // Bound to a name before it is read: written as `for row in try await connection.query(...)`,
            // the loop's iterator was destroyed from a bad address in the debug build (AddressSanitizer: SEGV
            // in the outlined destroy of `IndexingIterator<PostgresResult>`), or not, depending on the size
            // of unrelated types.
            let explained = try await connection.query("EXPLAIN (ANALYZE, FORMAT JSON) \(sql)", [PostgresBind("s"), PostgresBind(keys)])
            let plan = try explained[0].decode(String.self, at: 0)
            let nodes = try KeyLookupTests.nodes(ofPlan: plan)
            let scans = nodes.filter { $0["Relation Name"] as? String == table }
            #expect(!scans.isEmpty, "the plan reads \(table): \(plan)")
            // The rows each scan returned or looked at and dropped, over all its loops. EXPLAIN gives
            // both per loop, rounded: a probe per key reads about one row per key, a scan of the stream
            // all 20,000.
            let touched = scans.reduce(0.0) { total, scan in
                let loops = scan["Actual Loops"] as? Double ?? 1
                let returned = scan["Actual Rows"] as? Double ?? 0
                let dropped = (scan["Rows Removed by Filter"] as? Double ?? 0) + (scan["Rows Removed by Index Recheck"] as? Double ?? 0)
                return total + (returned + dropped) * loops
            }
            #expect(touched <= Double(keys.count), "rows of \(table) read for \(keys.count) keys: \(touched); plan: \(plan)")
            #expect(nodes.first?["Actual Rows"] as? Double == 30)
        }
    }

    /// Every node of an `EXPLAIN (FORMAT JSON)` plan, the top one first.
    static func nodes(ofPlan text: String) throws -> [[String: Any]] {
        let top = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        var pending = top?.compactMap { $0["Plan"] as? [String: Any] } ?? []
        var all: [[String: Any]] = []
        while !pending.isEmpty {
            let node = pending.removeFirst()
            all.append(node)
            pending += node["Plans"] as? [[String: Any]] ?? []
        }
        return all
    }
}
