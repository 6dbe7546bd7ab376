import Mapping
import SyncEngine
import Testing

@Suite("Status: where each stream stands")
struct StatusTests {
    @Test func statusShowsTheCheckpointTheRowsBehindAndTheLastRun() async throws {
        try await SyncHarness.with { h in
            let mapping = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            try await h.insert(1...4, at: "2024-03-01T10:00:00Z")
            let before = try await StatusReport.collect(mapping: mapping, configuration: h.configuration())
            #expect(before.entries.first?.rowsBehind == 4)
            #expect(before.entries.first?.checkpoint.position == nil)

            _ = try await h.sync()
            try await h.insert(5...7, at: "2024-03-01T12:00:00Z")
            let after = try await StatusReport.collect(mapping: mapping, configuration: h.configuration())
            let entry = try #require(after.entries.first)
            #expect(entry.checkpoint.position?.key == "4")
            #expect(entry.rowsBehind == 3)
            #expect(entry.secondsBehind == 7200)
            #expect(entry.checkpoint.lastRunStatus == "succeeded")
            #expect(entry.checkpoint.openRejects == 0)
        }
    }
}
