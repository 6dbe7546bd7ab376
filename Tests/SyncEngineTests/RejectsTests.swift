import Checkpoints
import Foundation
import Logging
import Mapping
import Postgres
import SandboxServer
import SyncCore
import SyncEngine
import Testing

/// The dead-letter workflow: list, retry with a fixed mapping, discard.
@Suite("Rejects: list, retry, discard")
struct RejectsTests {
    /// A platform map without a default: rows on another channel are refused and recorded.
    static let strict = """
        version: 1
        streams:
          - name: convs
            target: conversation-metadata
            source: { table: public.conv, watermark: updated_at, key: id }
            batch_size: 3
            fields:
              externalConversationId: { column: external_id }
              platform:
                column: channel
                map: { web: WEB }
        """

    /// The same stream with the channels it lacked.
    static let fixed = strict.replacingOccurrences(of: "map: { web: WEB }", with: "map: { web: WEB, sms: SMS, fax: null }")

    func write(_ text: String, in dir: URL, name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asapp-sync-rejects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a fixed mapping heals rejected rows through `rejects retry`; rows still failing count an attempt; discard closes them")
    func retryAndDiscardThroughTheCLI() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...4, at: "2024-03-01T10:00:00Z", channel: "web")
            try await h.insert(5...7, at: "2024-03-01T10:00:01Z", channel: "sms")
            try await h.insert(8...9, at: "2024-03-01T10:00:02Z", channel: "fax")
            // A bad id: no mapping can send this row.
            try await h.insert([10], at: "2024-03-01T10:00:03Z", channel: "web", externalID: { "conv #\($0)" })
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let strict = try write(Self.strict, in: dir, name: "strict.yaml")
            let fixed = try write(Self.fixed, in: dir, name: "fixed.yaml")
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            let db = ["--database-url", h.databaseURL]

            let sync = try await CLI.run(["sync", "--mapping", strict] + db, environment: env)
            #expect(sync.status == 3)
            #expect(Set(h.acceptedIDs) == Set((1...4).map { "conv-\($0)" }))

            let listed = try await CLI.run(["rejects", "list", "--json", "--status", "open"] + db)
            #expect(listed.status == 0)
            let rejects = try #require(try JSONParser.parse(listed.stdout).arrayValue)
            #expect(rejects.compactMap { $0["sourceKey"]?.stringValue }.sorted() == ["10", "5", "6", "7", "8", "9"])
            #expect(rejects.allSatisfy { $0["stage"]?.stringValue == "mapping" && $0["stream"]?.stringValue == "convs" })
            #expect(rejects.allSatisfy { $0["payload"] == nil })
            let platformReject = try #require(rejects.first { $0["sourceKey"]?.stringValue == "5" })
            #expect(platformReject["field"]?.stringValue == "platform")
            #expect(platformReject["attempts"]?.intValue == 1)

            let table = try await CLI.run(["rejects", "list", "--stream", "convs"] + db)
            #expect(table.status == 0)
            #expect(table.stdout.contains("id") && table.stdout.contains("platform") && table.stdout.contains("mapping"))
            #expect(table.stdout.split(separator: "\n").count == 7)

            let retried = try await CLI.run(["rejects", "retry", "--mapping", fixed] + db, environment: env)
            // Row 10 still fails: exit 3, and the others are delivered.
            #expect(retried.status == 3, "stderr: \(retried.stderr)")
            #expect(retried.stdout.contains("convs: 6 considered, 5 delivered"))
            #expect(Set(h.acceptedIDs) == Set((1...9).map { "conv-\($0)" }))
            let platforms = h.sandbox.recorder.acceptedItems(.convo).filter { $0["externalConversationId"]?.stringValue == "conv-5" }
            #expect(platforms.first?["platform"]?.stringValue == "SMS")
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.rejects WHERE status = 'resolved'") == "5")
            #expect(try await h.scalar("SELECT attempts::text FROM asapp_sync.rejects WHERE source_key = '10'") == "2")
            #expect(try await h.scalar("SELECT status FROM asapp_sync.rejects WHERE source_key = '10'") == "open")
            #expect(try await h.scalar("SELECT kind || ' ' || status FROM asapp_sync.runs ORDER BY id DESC LIMIT 1") == "rejects-retry completed_with_rejects")

            let again = try await CLI.run(["rejects", "retry", "--mapping", fixed] + db, environment: env)
            #expect(again.status == 3)
            #expect(try await h.scalar("SELECT attempts::text FROM asapp_sync.rejects WHERE source_key = '10'") == "3")
            #expect(h.acceptedIDs.count == 9)

            let id = try #require(try await h.scalar("SELECT id::text FROM asapp_sync.rejects WHERE source_key = '10'"))
            let usage = try await CLI.run(["rejects", "discard"] + db)
            #expect(usage.status == 64)
            let discarded = try await CLI.run(["rejects", "discard", "--id", id] + db)
            #expect(discarded.status == 0)
            #expect(discarded.stdout.contains("1 reject discarded"))
            #expect(try await h.scalar("SELECT status FROM asapp_sync.rejects WHERE source_key = '10'") == "discarded")

            let nothing = try await CLI.run(["rejects", "retry", "--mapping", fixed] + db, environment: env)
            #expect(nothing.status == 0)
            #expect(nothing.stdout.contains("no open rejects"))
            let open = try await CLI.run(["rejects", "list", "--json", "--status", "open"] + db)
            #expect(try JSONParser.parse(open.stdout).arrayValue?.isEmpty == true)
        }
    }

    @Test("discard --all closes every open reject of the named stream only")
    func discardAll() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...3, at: "2024-03-01T10:00:00Z", channel: "fax")
            let mapping = try MappingParser.parse(Self.strict, path: "strict.yaml")
            _ = try await SyncRunner(configuration: h.configuration(), logger: Logger(label: "test")).run(mapping: mapping)
            _ = try await h.connection.query("""
                INSERT INTO asapp_sync.rejects (stream, source_key, stage, error) VALUES ('other', '1', 'mapping', 'x')
                """)
            let result = try await CLI.run(["rejects", "discard", "--all", "--stream", "convs", "--database-url", h.databaseURL])
            #expect(result.status == 0)
            #expect(result.stdout.contains("3 rejects discarded"))
            #expect(try await h.scalar("SELECT string_agg(stream || ':' || status, ',' ORDER BY id) FROM asapp_sync.rejects")
                == "convs:discarded,convs:discarded,convs:discarded,other:open")
        }
    }

    @Test("payloads are shown only on request, with credentials redacted")
    func payloadsAreRedacted() async throws {
        try await SyncHarness.with { h in
            let store = try await CheckpointStore.open(connection: h.connection)
            let runID = try await store.startRun(kind: "sync", streams: ["convs"])
            let payload = try JSONParser.parse("""
                {"externalConversationId":"visible-id-1","password":"pw-hidden-8c1",
                 "attributes":[{"name":"api_token","value":"tok-hidden-3f9"},{"name":"queue","value":"billing-visible"}],
                 "lobName":"carries \(SyncHarness.apiSecret) inside"}
                """)
            try await store.commitBatch(stream: "convs", runID: runID, position: nil, acknowledgedRows: 0, rejects: [
                RejectRecord(stream: "convs", sourceKey: "1", watermark: "w", eventID: "e", payload: payload, stage: .api, field: nil,
                             httpStatus: 400, error: "FAIL_BAD_PARAMS: ERROR: lobName: too long"),
            ])
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret]
            let plain = try await CLI.run(["rejects", "list", "--database-url", h.databaseURL], environment: env)
            #expect(plain.status == 0)
            #expect(!plain.stdout.contains("visible-id-1"))
            #expect(plain.stdout.contains("400"))
            for arguments in [["--show-payload"], ["--show-payload", "--json"]] {
                let shown = try await CLI.run(["rejects", "list", "--database-url", h.databaseURL] + arguments, environment: env)
                #expect(shown.status == 0)
                #expect(shown.stdout.contains("visible-id-1") && shown.stdout.contains("billing-visible"))
                for secret in ["pw-hidden-8c1", "tok-hidden-3f9", SyncHarness.apiSecret] {
                    #expect(!shown.stdout.contains(secret) && !shown.stderr.contains(secret), "\(secret) shown with \(arguments)")
                }
                #expect(shown.stdout.contains("<redacted>"))
            }
        }
    }

    @Test("transcripts: a retried conversation is created, then its messages and a fixed message go to it")
    func transcriptsRetry() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            _ = try await h.base.connection.query("""
                INSERT INTO public.tconv VALUES (2, 'conv-2', 'cust-2', 'Li', NULL, 'Bo', 'sms', '2024-05-01T07:59:00Z', '2024-05-01T08:00:00Z')
                """)
            try await h.messages(1...5, conversation: 1, body: { $0 == 3 ? "" : "m-\($0)" })
            try await h.messages(6...10, conversation: 2)
            let first = try await h.sync()
            #expect(first.status == .completedWithRejects)
            #expect(h.texts("conv-1") == ["m-1", "m-2", "m-4", "m-5"])
            let store = try await CheckpointStore.open(connection: h.base.connection)
            var open = CheckpointStore.RejectFilter()
            open.status = .open
            let before = try await store.rejects(open)
            #expect(before.map(\.record.stream).sorted() == ["transcripts:conversations"] + Array(repeating: "transcripts:messages", count: 6))

            // Conversation 2 names an agent without an id, which the contract refuses. The fix: no agent
            // names (an agent without an id is then left out), and empty texts replaced.
            let fixedText = TranscriptHarness.mappingText
                .replacingOccurrences(of: "agent.name: { column: agent_name }", with: "")
                .replacingOccurrences(of: "text: { column: body }", with: "text: { column: body, if_empty: { replace: \"(empty)\" } }")
            let fixed = try MappingParser.parse(fixedText, path: "fixed.yaml")
            var filter = CheckpointStore.RejectFilter()
            filter.streams = ["transcripts"]
            let report = try await RejectRetry(configuration: h.base.configuration(), logger: Logger(label: "test")).run(mapping: fixed, filter: filter)
            #expect(report.status == .succeeded)
            #expect(report.parts.map(\.name) == ["transcripts:conversations", "transcripts:messages"])
            #expect(report.parts.map(\.resolved) == [1, 6])
            #expect(report.stillOpen == 0)
            #expect(h.texts("conv-2") == (6...10).map { "m-\($0)" })
            #expect(h.texts("conv-1") == ["m-1", "m-2", "m-4", "m-5", "(empty)"])
            #expect(try await store.rejects(open).isEmpty)
            // The created conversation is remembered, so later messages go to it without creating it again.
            #expect(try await store.conversation(stream: "transcripts", sourceKey: "2")?.externalID == "conv-2")
        }
    }

    @Test("a reject whose source row is gone stays open and says so")
    func missingSourceRow() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...2, at: "2024-03-01T10:00:00Z", channel: "fax")
            let strict = try MappingParser.parse(Self.strict, path: "strict.yaml")
            _ = try await SyncRunner(configuration: h.configuration(), logger: Logger(label: "test")).run(mapping: strict)
            _ = try await h.connection.query("DELETE FROM public.conv WHERE id = 2")
            let fixed = try MappingParser.parse(Self.fixed, path: "fixed.yaml")
            let report = try await RejectRetry(configuration: h.configuration(), logger: Logger(label: "test"))
                .run(mapping: fixed, filter: CheckpointStore.RejectFilter())
            #expect(report.status == .completedWithRejects)
            #expect(report.parts.first?.resolved == 1)
            #expect(report.parts.first?.missing == 1)
            #expect(try await h.scalar("SELECT status || ' ' || attempts || ' ' || split_part(error, ':', 1) FROM asapp_sync.rejects WHERE source_key = '2'")
                == "open 2 source-row-missing")
        }
    }
}
