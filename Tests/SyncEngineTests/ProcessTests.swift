import AsyncHTTPClient
import Foundation
import Postgres
import Telemetry
import Testing

/// The built `asapp-sync` executable, run as a user runs it.
enum CLI {
    static var executable: URL {
        get throws {
            let dir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
            for candidate in [dir, dir.deletingLastPathComponent()] {
                let url = candidate.appendingPathComponent("asapp-sync")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw CLIError(message: "asapp-sync is not built next to the test bundle in \(dir.path); run `swift build` first")
        }
    }

    struct CLIError: Error { var message: String }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A child process started by `launch`, with the files its output goes to.
    ///
    /// Files rather than pipes: a pipe must be drained while the child runs or a chatty child blocks, and
    /// draining it with a `readabilityHandler` leaves a dispatch source whose teardown on Linux can crash
    /// the test process (`_dispatch_event_loop_drain`, swift-corelibs-foundation).
    struct Launched {
        var process: Process
        var stdoutURL: URL
        var stderrURL: URL

        /// What the child has written to standard output so far.
        func stdout() -> String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
        /// What the child has written to standard error so far.
        func stderr() -> String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    }

    static func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> Launched {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asapp-sync-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let launched = Launched(process: process, stdoutURL: dir.appendingPathComponent("stdout"), stderrURL: dir.appendingPathComponent("stderr"))
        for url in [launched.stdoutURL, launched.stderrURL] {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CLIError(message: "cannot create \(url.path)")
            }
        }
        let out = try FileHandle(forWritingTo: launched.stdoutURL)
        let err = try FileHandle(forWritingTo: launched.stderrURL)
        process.standardOutput = out
        process.standardError = err
        defer {
            // The child has its own copies.
            try? out.close()
            try? err.close()
        }
        try process.run()
        return launched
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        let launched = try launch(arguments, environment: environment)
        launched.process.waitUntilExit()
        let output = Output(status: launched.process.terminationStatus, stdout: launched.stdout(), stderr: launched.stderr())
        try? FileManager.default.removeItem(at: launched.stdoutURL.deletingLastPathComponent())
        return output
    }
}

@Suite("The asapp-sync command")
struct ProcessTests {
    func writeTemporary(_ text: String, name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asapp-sync-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func validateRefusesATypoWithItsLineNumber() async throws {
        let text = SyncHarness.mappingText.replacingOccurrences(of: "externalConversationId:", with: "externlConversationId:")
        let path = try writeTemporary(text, name: "typo.yaml")
        let result = try await CLI.run(["validate", path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(path):8:7: error: 'externlConversationId' is not a field of conversation-metadata items"))
        #expect(result.stderr.contains("did you mean 'externalConversationId'?"))
        #expect(result.stderr.contains("required field 'externalConversationId'"))

        let good = try writeTemporary(SyncHarness.mappingText, name: "good.yaml")
        let ok = try await CLI.run(["validate", good])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("1 stream"))
    }

    @Test func syncRefusesAnInvalidMappingBeforeTouchingAnything() async throws {
        let text = SyncHarness.mappingText.replacingOccurrences(of: "externalConversationId:", with: "externlConversationId:")
        let path = try writeTemporary(text, name: "typo.yaml")
        let result = try await CLI.run(["sync", "--mapping", path, "--database-url", "postgresql://nobody@127.0.0.1:1/none"],
                                       environment: ["ASAPP_API_ID": "x", "ASAPP_API_SECRET": "y"])
        #expect(result.status == 65)
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: ["0", "257"])
    func syncRefusesAConcurrencyOutOfRange(_ value: String) async throws {
        let path = try writeTemporary(SyncHarness.mappingText, name: "good.yaml")
        let result = try await CLI.run(["sync", "--mapping", path, "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--concurrency", value],
                                       environment: ["ASAPP_API_ID": "x", "ASAPP_API_SECRET": "y"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--concurrency must be between 1 and 256"))
    }

    @Test func processKilledBetweenBatchesResumesWithoutLosingARow() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...150, at: "2024-03-01T10:00:00Z")
            try await h.insert(151...300, at: "2024-03-01T10:00:01Z")
            let mapping = try writeTemporary(SyncHarness.mappingText.replacingOccurrences(of: "batch_size: 3", with: "batch_size: 1"), name: "m.yaml")
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            // The request cap keeps the run going for about 3 s, so the kill lands mid-run however fast the machine is.
            let process = try CLI.launch(["sync", "--mapping", mapping, "--database-url", h.databaseURL, "--concurrency", "1",
                                          "--page-size", "7", "--max-requests-per-second", "100"], environment: env).process
            // Wait until some batches are accepted, then kill the process outright. The watch runs on a
            // thread of its own: other tests' child processes can keep every task-pool thread busy.
            let recorder = h.sandbox.recorder
            let killedAfter: Int = await withCheckedContinuation { continuation in
                Thread {
                    let deadline = Date().addingTimeInterval(30)
                    while process.isRunning, recorder.acceptedItemCount(.convo) < 25, Date() < deadline { usleep(1000) }
                    kill(process.processIdentifier, SIGKILL)
                    continuation.resume(returning: recorder.acceptedItemCount(.convo))
                }.start()
            }
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(killedAfter >= 25)
            // What was acknowledged before the kill is checkpointed (at most the batch in flight is not).
            let acknowledged = Int(try await h.scalar("SELECT coalesce(sum(rows_acknowledged), 0)::text FROM asapp_sync.checkpoints") ?? "0") ?? 0
            #expect(acknowledged >= 20)
            let deliveredBeforeKill = h.acceptedIDs.count
            #expect(deliveredBeforeKill < 300)

            let resumed = try await CLI.run(["sync", "--mapping", mapping, "--database-url", h.databaseURL], environment: env)
            #expect(resumed.status == 0)
            let ids = h.acceptedIDs
            #expect(Set(ids) == Set((1...300).map { "conv-\($0)" }))
            // Only what was in flight at the kill can arrive twice, and it carries the same eventId.
            let repeats = ids.count - Set(ids).count
            #expect(repeats <= 1)
            #expect(h.acceptedEventIDs.count - Set(h.acceptedEventIDs).count == repeats)
            // The resumed run started from the checkpoint, not from the beginning.
            #expect(ids.count < deliveredBeforeKill + 300)
            for text in [resumed.stdout, resumed.stderr] { #expect(!text.contains(SyncHarness.apiSecret)) }
        }
    }

    @Test func aScheduledRunStopsOnSIGTERMWithACheckpointAndResumes() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...40, at: "2024-03-01T10:00:00Z")
            let mapping = try writeTemporary(SyncHarness.mappingText, name: "m.yaml")
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            // A free port for the metrics endpoint: bind one, note it, let it go.
            let probe = try await TelemetryServer.start(host: "127.0.0.1", port: 0, registry: MetricsRegistry())
            let metricsPort = probe.port
            await probe.shutdown()
            let process = try CLI.launch(["sync", "--mapping", mapping, "--database-url", h.databaseURL, "--every", "1s",
                                          "--metrics-port", "\(metricsPort)"], environment: env).process
            // Wait for the first run to finish and the second to have started.
            var runs = 0
            for _ in 0..<600 {
                if runs >= 2 { break }
                runs = Int((try? await h.scalar("SELECT count(*)::text FROM asapp_sync.runs")) ?? nil ?? "0") ?? 0
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(runs >= 2)
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"), timeout: .seconds(5))
            let metrics = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(metrics.contains("asapp_sync_rows_read_total{stream=\"convs\"} 40"))
            #expect(metrics.contains("asapp_sync_items_sent_total{stream=\"convs\"} 40"))
            #expect(metrics.contains("asapp_sync_last_success_timestamp_seconds"))
            let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/healthz"), timeout: .seconds(5))
            #expect(health.status == .ok)
            let clock = ContinuousClock()
            let signalled = clock.now
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(clock.now - signalled < .seconds(5))
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
            #expect(h.acceptedIDs.count == 40)
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.runs WHERE status = 'running'") == "0")

            // The next start resumes from the checkpoint: only the new rows go.
            try await h.insert(41...45, at: "2024-03-02T10:00:00Z")
            let next = try await CLI.run(["sync", "--mapping", mapping, "--database-url", h.databaseURL], environment: env)
            #expect(next.status == 0)
            #expect(h.acceptedIDs.count == 45)
            #expect(Set(h.acceptedIDs) == Set((1...45).map { "conv-\($0)" }))
        }
    }
}
