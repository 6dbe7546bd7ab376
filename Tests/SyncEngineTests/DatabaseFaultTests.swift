import Mapping
import Postgres
import SandboxServer
import SyncEngine
import Testing

@Suite("Database faults: a terminated connection mid-run")
struct DatabaseFaultTests {
    @Test func aTerminatedConnectionIsReconnectedAndTheRunResumesFromItsCheckpoint() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...60, at: "2024-03-01T10:00:00Z")
            var faults = SandboxFaults()
            faults.latency = .milliseconds(25)
            h.sandbox.faults = faults
            let mapping = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            let runner = SyncRunner(configuration: h.configuration(pageSize: 10, concurrency: 1), logger: .init(label: "test"))
            async let report = runner.run(mapping: mapping)

            // Once some batches are committed, end every other session of the database: the runner's
            // source and state connections both.
            var acknowledged = 0
            for _ in 0..<2000 {
                if acknowledged >= 9 { break }
                acknowledged = Int((try? await h.scalar("SELECT coalesce(sum(rows_acknowledged), 0)::text FROM asapp_sync.checkpoints")) ?? nil ?? "0") ?? 0
                try await Task.sleep(for: .milliseconds(5))
            }
            let terminated = try await h.endOtherSessions()
            #expect(terminated >= 1)

            let result = try await report
            #expect(result.status == .succeeded)
            #expect(Set(h.acceptedIDs) == Set((1...60).map { "conv-\($0)" }))
            // At most the batch in flight at the cut is sent twice.
            #expect(h.acceptedIDs.count - Set(h.acceptedIDs).count <= 3)
            #expect(try await h.scalar("SELECT key FROM asapp_sync.checkpoints WHERE stream = 'convs'") == "60")
        }
    }
}
