import Mapping
import Postgres
import SyncCore
import SyncEngine
import Testing

@Suite("Incremental sync against a real PostgreSQL and the sandbox")
struct IncrementalSyncTests {
    @Test func firstSyncSendsEveryRowOnceAndSecondSendsNothing() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...10, at: "2024-03-01T10:00:00Z")
            try await h.insert(11...20, at: "2024-03-01T11:00:00.123456Z", channel: "sms")
            let first = try await h.sync()
            #expect(first.status == .succeeded)
            #expect(first.totals.rowsRead == 20)
            #expect(first.totals.itemsSent == 20)
            #expect(first.totals.requests == 7)
            #expect(h.acceptedIDs.sorted() == (1...20).map { "conv-\($0)" }.sorted())
            #expect(try await h.scalar("SELECT watermark || '|' || key FROM asapp_sync.checkpoints WHERE stream = 'convs'")
                    == "2024-03-01T11:00:00.123456Z|20")

            let second = try await h.sync()
            #expect(second.status == .succeeded)
            #expect(second.totals.rowsRead == 0)
            #expect(second.totals.itemsSent == 0)
            #expect(h.acceptedIDs.count == 20)
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.runs WHERE status = 'succeeded'") == "2")
        }
    }

    @Test func afterUpdatesOnlyTheChangedRowsGo() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...12, at: "2024-03-01T10:00:00Z")
            _ = try await h.sync()
            let before = Set(h.acceptedEventIDs)
            _ = try await h.connection.query("UPDATE public.conv SET channel = 'sms', updated_at = '2024-03-02T00:00:00Z' WHERE id IN (2, 7, 11)")
            let report = try await h.sync()
            #expect(report.totals.rowsRead == 3)
            #expect(report.totals.itemsSent == 3)
            let ids = h.acceptedIDs
            #expect(ids.count == 15)
            #expect(Array(ids.suffix(3)).sorted() == ["conv-11", "conv-2", "conv-7"])
            // A changed row is a new version: it carries a new eventId.
            #expect(Set(h.acceptedEventIDs.suffix(3)).isDisjoint(with: before))
        }
    }

    @Test(arguments: [1, 2, 3], ["keyset", "cursor"])
    func tiesAtPageBoundariesLoseNothingAndRepeatNothing(batchSize: Int, read: String) async throws {
        try await SyncHarness.with { h in
            // Nine rows share one watermark value, so every page of 2 ends inside the tie.
            try await h.insert(1...3, at: "2024-03-01T09:00:00Z")
            try await h.insert(4...12, at: "2024-03-01T10:00:00Z")
            try await h.insert(13...14, at: "2024-03-01T11:00:00Z")
            let text = SyncHarness.mappingText.replacingOccurrences(of: "batch_size: 3", with: "batch_size: \(batchSize)")
                .replacingOccurrences(of: "key: id }", with: "key: id, read: \(read) }")
            let report = try await h.sync(mapping: text, pageSize: 2, concurrency: 3)
            #expect(report.totals.rowsRead == 14)
            #expect(h.acceptedIDs.sorted() == (1...14).map { "conv-\($0)" }.sorted())

            // More rows arrive with the same watermark as the checkpoint's, after its key: they go next time.
            try await h.insert(15...17, at: "2024-03-01T11:00:00Z")
            let next = try await h.sync(mapping: text, pageSize: 2)
            #expect(next.totals.rowsRead == 3)
            #expect(h.acceptedIDs.sorted() == (1...17).map { "conv-\($0)" }.sorted())
        }
    }

    @Test func singleDeliverySendsOneRequestPerItemAndCommitsThemThirtyTwoAtATime() async throws {
        try await SyncHarness.with { h in
            // Row 40's id breaks the contract's pattern: it is rejected before anything is sent.
            try await h.insert(1...70, at: "2024-03-01T10:00:00Z", externalID: { $0 == 40 ? "conv 40!" : "conv-\($0)" })
            let text = SyncHarness.mappingText.replacingOccurrences(of: "batch_size: 3", with: "delivery: single")
            let report = try await h.sync(mapping: text)
            #expect(report.status == .completedWithRejects)
            let stream = try #require(report.streams.first)
            #expect(stream.totals.itemsSent == 69)
            #expect(stream.totals.requests == 69)
            // 70 rows in batches of 32: three commits, not one per item.
            #expect(stream.batches == 3)
            #expect(h.sandbox.recorder.requestCount(.singleConvoMetadata, status: 200) == 69)
            #expect(h.sandbox.recorder.requestCount(.manyConvoMetadata) == 0)
            #expect(h.acceptedIDs.sorted() == (1...70).filter { $0 != 40 }.map { "conv-\($0)" }.sorted())
            #expect(try await h.scalar("SELECT key FROM asapp_sync.checkpoints WHERE stream = 'convs'") == "70")
            #expect(try await h.scalar("SELECT source_key FROM asapp_sync.rejects") == "40")
            #expect(try await h.sync(mapping: text).totals.rowsRead == 0)
        }
    }

    @Test func aWatermarkComputedAcrossAJoinIsReadByCursorAndChangesOnEitherSideGo() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...10, at: "2024-03-01T10:00:00Z")
            try await h.connection.execute("""
                CREATE TABLE public.note (conv_id bigint NOT NULL, noted_at timestamptz NOT NULL);
                INSERT INTO public.note SELECT id, timestamptz '2024-03-01T09:00:00Z' + id * interval '1 minute' FROM public.conv;
                """)
            let text = SyncHarness.mappingText.replacingOccurrences(of: "source: { table: public.conv, watermark: updated_at, key: id }", with: """
                source:
                      query: SELECT c.id, c.external_id, c.channel, greatest(c.updated_at, n.noted_at) AS changed_at FROM public.conv c JOIN public.note n ON n.conv_id = c.id
                      watermark: changed_at
                      key: id
                      read: cursor
                """)
            let first = try await h.sync(mapping: text, pageSize: 3)
            #expect(first.status == .succeeded)
            #expect(first.totals.rowsRead == 10)
            #expect(h.acceptedIDs.sorted() == (1...10).map { "conv-\($0)" }.sorted())
            let checkpoint = try await h.scalar("SELECT watermark || '|' || key FROM asapp_sync.checkpoints WHERE stream = 'convs'")
            #expect(checkpoint == "2024-03-01T10:00:00.000000Z|10")

            // A change on the joined side moves the computed watermark: only those rows go again.
            _ = try await h.connection.query("UPDATE public.note SET noted_at = '2024-03-02T00:00:00Z' WHERE conv_id IN (3, 8)")
            _ = try await h.connection.query("UPDATE public.conv SET updated_at = '2024-03-02T01:00:00Z' WHERE id = 5")
            let second = try await h.sync(mapping: text, pageSize: 3)
            #expect(second.totals.rowsRead == 3)
            #expect(Array(h.acceptedIDs.suffix(3)) == ["conv-3", "conv-8", "conv-5"])
            #expect(try await h.sync(mapping: text, pageSize: 3).totals.rowsRead == 0)
        }
    }

    @Test func rowsThatCannotBeSentAreRecordedNotDropped() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...5, at: "2024-03-01T10:00:00Z")
            // Not id-safe: breaks the API's pattern, so it must never be sent.
            try await h.insert([6], at: "2024-03-01T10:00:00Z", externalID: { _ in "conv #6" })
            try await h.insert(7...8, at: "2024-03-01T10:00:00Z")
            let text = SyncHarness.mappingText.replacingOccurrences(of: "\n        default: null", with: "")
            try await h.insert([9], at: "2024-03-01T10:00:00Z", channel: "fax")
            let report = try await h.sync(mapping: text)
            #expect(report.status == .completedWithRejects)
            #expect(report.totals.itemsSent == 7)
            #expect(report.totals.itemsRejected == 2)
            #expect(!h.acceptedIDs.contains("conv #6"))
            let rejects = try await h.connection.query(
                "SELECT source_key, stage, field, error FROM asapp_sync.rejects ORDER BY source_key::int").rows
            try #require(rejects.count == 2)
            #expect(try rejects[0].decode(String.self, column: "source_key") == "6")
            #expect(try rejects[0].decode(String?.self, column: "field")?.contains("externalConversationId") == true)
            #expect(try rejects[1].decode(String.self, column: "source_key") == "9")
            #expect(try rejects[1].decode(String?.self, column: "field") == "platform")
            #expect(try rejects[1].decode(String.self, column: "error").contains("'fax'"))
            // The checkpoint passed them: they are recorded, and a rerun does not send or record them again.
            let again = try await h.sync(mapping: text)
            #expect(again.totals.rowsRead == 0)
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.rejects") == "2")
        }
    }

    @Test func failedDeliveryLeavesTheCheckpointBeforeTheUnacknowledgedRows() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...9, at: "2024-03-01T10:00:00Z")
            var configuration = h.configuration()
            configuration.loader.baseURL = "http://127.0.0.1:1"
            configuration.loader.maxAttempts = 2
            configuration.loader.connectTimeout = .milliseconds(300)
            let mapping = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            let failed = try await SyncRunner(configuration: configuration, logger: .init(label: "test")).run(mapping: mapping)
            #expect(failed.status == .failed)
            #expect(failed.streams[0].error?.contains("retries-exhausted") == true)
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.checkpoints") == "0")
            #expect(try await h.scalar("SELECT status FROM asapp_sync.runs") == "failed")

            let resumed = try await h.sync()
            #expect(resumed.status == .succeeded)
            #expect(h.acceptedIDs.sorted() == (1...9).map { "conv-\($0)" }.sorted())
        }
    }

    @Test func aStreamHeldByAnotherRunIsNotTouched() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...3, at: "2024-03-01T10:00:00Z")
            _ = try await h.sync()
            try await h.insert(4...5, at: "2024-03-02T10:00:00Z")
            let other = try await PostgresConnection.connect(PostgresConfiguration(connectionString: h.databaseURL))
            let key = PostgresConnection.advisoryLockKey(for: "asapp-sync:stream:asapp_sync:convs")
            #expect(try await other.tryAdvisoryLock(key))
            let otherPID = try await other.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
            let report = try await h.sync()
            #expect(report.streams[0].status == .busy)
            #expect(h.acceptedIDs.count == 3)
            // No session of the run's is left, though the stream never used the source connection opened
            // for it ahead of its lock (a closed session may take a moment to leave the server's list).
            var left = -1
            for _ in 0..<200 {
                left = try await h.connection.query("""
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND backend_type = 'client backend' AND pid NOT IN (pg_backend_pid(), $1::int4)
                    """, [PostgresBind(otherPID)])[0].decode(Int.self, at: 0)
                if left == 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(left == 0)
            _ = try await other.advisoryUnlock(key)
            await other.close()
            #expect(try await h.sync().totals.itemsSent == 2)
        }
    }

    @Test func aSecondRunCanWaitForTheFirst() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...5, at: "2024-03-01T10:00:00Z")
            let other = try await PostgresConnection.connect(PostgresConfiguration(connectionString: h.databaseURL))
            let key = PostgresConnection.advisoryLockKey(for: "asapp-sync:stream:asapp_sync:convs")
            // The state schema must exist before the lock is taken by hand (a run creates it first).
            _ = try await h.sync()
            try await h.insert(6...8, at: "2024-03-02T10:00:00Z")
            #expect(try await other.tryAdvisoryLock(key))
            var configuration = h.configuration()
            configuration.waitForLock = true
            let mapping = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            async let waited = SyncRunner(configuration: configuration, logger: .init(label: "test")).run(mapping: mapping)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(h.acceptedIDs.count == 5)
            _ = try await other.advisoryUnlock(key)
            let report = try await waited
            #expect(report.status == .succeeded)
            #expect(h.acceptedIDs.count == 8)
            await other.close()
        }
    }
}
