import Extractor
import Mapping
import Postgres
import SyncCore
import SyncEngine
import Testing

@Suite("Commit-safe watermarks: rows of transactions that commit late are not missed")
struct LateCommitTests {
    /// Opens a transaction that stamps rows with its start time, commits a later row elsewhere, runs a
    /// sync, then commits the first transaction and runs again.
    func lateCommit(respectOpenTransactions: Bool, cursor: Bool = false) async throws -> (first: [String], all: [String], checkpointBeforeCommit: String?) {
        var result: (first: [String], all: [String], checkpointBeforeCommit: String?) = ([], [], nil)
        try await SyncHarness.with { h in
            try await h.insert(1...3, at: "2024-03-01T10:00:00Z")
            let writer = try await PostgresConnection.connect(PostgresConfiguration(connectionString: h.databaseURL))
            try await writer.execute("BEGIN")
            // Stamped with the transaction's start, like `updated_at DEFAULT now()`; invisible until commit.
            _ = try await writer.query("INSERT INTO public.conv VALUES (4, 'conv-4', 'web', now()), (5, 'conv-5', 'web', now())")
            // Another session commits a row stamped after that start.
            try await Task.sleep(for: .milliseconds(20))
            _ = try await h.connection.query("INSERT INTO public.conv VALUES (6, 'conv-6', 'web', clock_timestamp())")

            var configuration = h.configuration()
            configuration.bound = BoundPolicy(respectOpenTransactions: respectOpenTransactions)
            // A cursor read's bound is not looked for among the rows (see WatermarkExtractor.upperBound).
            let text = cursor ? SyncHarness.mappingText.replacingOccurrences(of: "key: id }", with: "key: id, read: cursor }") : SyncHarness.mappingText
            let mapping = try MappingParser.parse(text, path: "test.yaml")
            let runner = SyncRunner(configuration: configuration, logger: .init(label: "test"))
            _ = try await runner.run(mapping: mapping)
            result.first = h.acceptedIDs.sorted()
            result.checkpointBeforeCommit = try await h.scalar("SELECT watermark FROM asapp_sync.checkpoints WHERE stream = 'convs'")

            try await writer.execute("COMMIT")
            await writer.close()
            _ = try await runner.run(mapping: mapping)
            result.all = h.acceptedIDs.sorted()
        }
        return result
    }

    @Test func aRowCommittedLateIsSentByTheNextRun() async throws {
        let r = try await lateCommit(respectOpenTransactions: true)
        // The open transaction held the bound below its start: neither its rows nor the later one went.
        #expect(r.first == ["conv-1", "conv-2", "conv-3"])
        #expect(r.checkpointBeforeCommit == "2024-03-01T10:00:00.000000Z")
        #expect(r.all == ["conv-1", "conv-2", "conv-3", "conv-4", "conv-5", "conv-6"])
    }

    @Test func aRowCommittedLateIsSentByTheNextRunOfACursorRead() async throws {
        let r = try await lateCommit(respectOpenTransactions: true, cursor: true)
        #expect(r.first == ["conv-1", "conv-2", "conv-3"])
        #expect(r.checkpointBeforeCommit == "2024-03-01T10:00:00.000000Z")
        #expect(r.all == ["conv-1", "conv-2", "conv-3", "conv-4", "conv-5", "conv-6"])
    }

    @Test func withoutTheGuardTheLateRowsWouldBeMissed() async throws {
        // The failure the guard prevents: the bound passes the open transaction's start, the checkpoint
        // moves past its rows, and after the commit they lie behind it for ever.
        let r = try await lateCommit(respectOpenTransactions: false)
        #expect(r.first == ["conv-1", "conv-2", "conv-3", "conv-6"])
        #expect(r.all == ["conv-1", "conv-2", "conv-3", "conv-6"])
    }

    @Test func theBoundKeepsTheLagAndReportsWhatHeldIt() async throws {
        try await SyncHarness.with { h in
            _ = try await h.connection.query("INSERT INTO public.conv VALUES (1, 'a', 'web', now() - interval '1 hour'), (2, 'b', 'web', now())")
            let extractor = WatermarkExtractor(connection: h.connection,
                                               query: WatermarkQuery(relationSQL: "public.conv", watermark: "updated_at", key: "id"))
            let lagged = try await extractor.upperBound(policy: BoundPolicy(lag: .seconds(600)))
            let highest = try await extractor.upperBound(policy: BoundPolicy(respectOpenTransactions: false))
            #expect(lagged.value != nil && lagged.value! < highest.value!)
            #expect(!lagged.heldByTransaction)
            #expect(lagged.canSeeAllTransactions)
        }
    }
}
