import Foundation
import Mapping
import Postgres
import SandboxServer
import SyncEngine
import Testing

@Suite("Backfill: windows, workers, interruptions")
struct BackfillTests {
    /// 100 rows a day for six days from 2024-04-01, and a seventh day outside the backfilled range.
    func seed(_ h: SyncHarness) async throws {
        _ = try await h.connection.query("""
            INSERT INTO public.conv
            SELECT i, 'conv-' || i, 'web', '2024-04-01T00:00:00Z'::timestamptz + ((i - 1) / 100) * interval '1 day' + (i % 100) * interval '1 minute'
            FROM generate_series(1, 700) AS i
            """)
    }

    @Test func theSameItemsGoWithOneWorkerOrFourAndWithACursor() async throws {
        try await SyncHarness.with { h in
            try await seed(h)
            let keyset = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            let cursor = try MappingParser.parse(SyncHarness.mappingText.replacingOccurrences(of: "key: id }", with: "key: id, read: cursor }"),
                                                 path: "test.yaml")
            var delivered: [Set<String>] = []
            for (parallel, schema, mapping) in [(1, "bf_one", keyset), (4, "bf_four", keyset), (4, "bf_cursor", cursor)] {
                h.sandbox.recorder.reset()
                var configuration = h.configuration(pageSize: 7)
                configuration.stateSchema = schema
                var options = BackfillOptions(from: "2024-04-01", to: "2024-04-07", window: "86400 seconds", numeric: false)
                options.parallel = parallel
                let report = try await BackfillRunner(configuration: configuration, logger: .init(label: "test"))
                    .run(mapping: mapping, stream: "convs", options: options) { _ in }
                #expect(report.status == .completed)
                #expect(report.progress.windowsDone == 6)
                #expect(report.progress.rowsRead == 600)
                delivered.append(Set(zip(h.acceptedIDs, h.acceptedEventIDs).map { "\($0)|\($1)" }))
                #expect(h.acceptedIDs.count == 600)
            }
            #expect(delivered[0] == delivered[1])
            #expect(delivered[0] == delivered[2])
            #expect(delivered[0].count == 600)
            // The backfill has its own progress: the incremental checkpoint was not touched.
            #expect(try await h.scalar("SELECT count(*)::text FROM bf_one.checkpoints") == "0")
        }
    }

    @Test func aBackfillInterruptedTwiceResumesAndCompletes() async throws {
        try await SyncHarness.with { h in
            try await seed(h)
            var faults = SandboxFaults()
            faults.latency = .milliseconds(40)
            h.sandbox.faults = faults
            let mappingPath = FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(UUID().uuidString).yaml").path
            try SyncHarness.mappingText.replacingOccurrences(of: "batch_size: 3", with: "batch_size: 4")
                .write(toFile: mappingPath, atomically: true, encoding: .utf8)
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            let arguments = ["backfill", "--mapping", mappingPath, "--stream", "convs", "--from", "2024-04-01", "--to", "2024-04-07",
                             "--window", "1d", "--parallel", "2", "--page-size", "10", "--database-url", h.databaseURL,
                             // Slow enough that each interruption lands mid-run, however loaded the machine is: a
                             // run starts with a second's worth of rows at once, then reads 60 a second.
                             "--max-rows-per-second", "60"]

            func rowsDone() async -> Int {
                Int((try? await h.scalar("SELECT coalesce(sum(rows_read), 0)::text FROM asapp_sync.backfill_windows")) ?? nil ?? "0") ?? 0
            }
            func interrupt(after rows: Int, with signal: Int32) async throws -> Process {
                let launched = try CLI.launch(arguments, environment: env)
                let process = launched.process
                defer {
                    let text = launched.stderr()
                    if process.terminationReason == .exit && signal == SIGKILL { Issue.record("the run ended before the kill: \(process.terminationStatus) \(text.suffix(600))") }
                }
                var waited = 0
                while await rowsDone() < rows, waited < 1500 {
                    try await Task.sleep(for: .milliseconds(5))
                    waited += 1
                }
                kill(process.processIdentifier, signal)
                process.waitUntilExit()
                return process
            }

            let first = try await interrupt(after: 60, with: SIGINT)
            #expect(first.terminationReason == .exit && first.terminationStatus == 130)
            let afterFirst = await rowsDone()
            #expect(afterFirst >= 60 && afterFirst < 600)

            // As soon as the resumed run has committed its first batch (4 rows): what is left is then at least
            // most of a window, which the row cap makes last well over half a second, so the kill lands
            // mid-run however the windows' commits happen to interleave.
            let second = try await interrupt(after: afterFirst + 4, with: SIGKILL)
            // Killed while running (under load it may land after the last row was read, before the plan
            // was marked complete: the resume must finish it either way).
            #expect(second.terminationReason == .uncaughtSignal)

            let last = try await CLI.run(arguments, environment: env)
            #expect(last.status == 0)
            #expect(last.stdout.contains("completed (resumed)"))
            #expect(Set(h.acceptedIDs) == Set((1...600).map { "conv-\($0)" }))
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.backfill_windows WHERE status = 'done'") == "6")
            #expect(try await h.scalar("SELECT status FROM asapp_sync.backfills") == "completed")
            #expect(await rowsDone() == 600)
        }
    }
}
