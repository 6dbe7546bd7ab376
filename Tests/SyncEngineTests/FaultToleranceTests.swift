import Foundation
import Loader
import Logging
import Mapping
import Postgres
import SandboxServer
import SyncCore
import SyncEngine
import Testing
import TestSupport

/// Delivery under API faults and process kills: at least once, never an invalid item, nothing dropped.
@Suite("Fault tolerance: retries, credential refusals, kills")
struct FaultToleranceTests {
    /// Two streams over the same table, so a run has something left to stop.
    static let twoStreams = SyncHarness.mappingText + """

          - name: convs-again
            target: conversation-metadata
            source: { table: public.conv, watermark: updated_at, key: id }
            fields:
              externalConversationId: { column: external_id }
        """

    @Test("retries exhausted stop the stream without passing its rows; a rerun delivers them")
    func exhaustedRetriesDoNotAdvance() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...60, at: "2024-03-01T10:00:00Z")
            var faults = SandboxFaults()
            faults.serviceUnavailableRate = 0.5
            faults.seed = 3
            h.sandbox.faults = faults
            var configuration = h.configuration(concurrency: 1)
            configuration.loader.maxAttempts = 2
            let mapping = try MappingParser.parse(SyncHarness.mappingText, path: "test.yaml")
            let first = try await SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            #expect(first.status == .failed)
            let error = try #require(first.streams.first?.error)
            #expect(error.contains("retries-exhausted") && error.contains("HTTP 503"))

            // The checkpoint covers exactly the rows the API acknowledged, and no row past it was sent.
            let checkpointKey = try await h.scalar("SELECT key FROM asapp_sync.checkpoints WHERE stream = 'convs'").flatMap { Int($0) } ?? 0
            #expect(checkpointKey < 60)
            let accepted = Set(h.acceptedIDs)
            #expect(accepted == Set((0..<checkpointKey).map { "conv-\($0 + 1)" }))
            // Failed-retryable rows are not rejects: they stay ahead of the checkpoint for the next run.
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.rejects") == "0")
            #expect(try await h.scalar("SELECT status FROM asapp_sync.runs ORDER BY id DESC LIMIT 1") == "failed")

            h.sandbox.faults = SandboxFaults()
            let second = try await SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            #expect(second.status == .succeeded)
            #expect(Set(h.acceptedIDs) == Set((1...60).map { "conv-\($0)" }))
            #expect(try await h.scalar("SELECT key FROM asapp_sync.checkpoints WHERE stream = 'convs'") == "60")
            // The rerun started from the checkpoint: nothing acknowledged before was sent again.
            #expect(h.acceptedIDs.count == 60)
        }
    }

    @Test("403 stops the whole run at once, with a clear message and no checkpoint movement")
    func refusedCredentialsStopTheRun() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...20, at: "2024-03-01T10:00:00Z")
            var configuration = h.configuration(concurrency: 1)
            configuration.loader.credentials = APICredentials(id: SyncHarness.apiID, secret: "not-the-secret-4e1d")
            let mapping = try MappingParser.parse(Self.twoStreams, path: "test.yaml")
            let report = try await SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            #expect(report.status == .failed)
            let first = try #require(report.streams.first)
            #expect(first.status == .failed)
            #expect(first.error?.contains("forbidden") == true)
            #expect(first.error?.contains("HTTP 403") == true)
            #expect(first.error?.contains("these credentials may not use this endpoint") == true)
            let second = try #require(report.streams.last)
            #expect(second.stream == "convs-again")
            #expect(second.error?.hasPrefix("not run:") == true)
            // One request, no retry, nothing after it (of the 7 + 20 the two streams would send), nothing
            // checkpointed. One batch in flight at a time keeps the count exact.
            #expect(h.sandbox.recorder.requestCount(.manyConvoMetadata) == 1)
            #expect(h.sandbox.recorder.requestCount(.manyConvoMetadata, status: 403) == 1)
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.checkpoints") == "0")
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.rejects") == "0")
            let runError = try await h.scalar("SELECT error FROM asapp_sync.runs") ?? ""
            #expect(runError.contains("forbidden"))
            #expect(!runError.contains("not-the-secret-4e1d"))
        }
    }

    @Test("413 from a small body limit splits batches end to end and every row arrives once")
    func bodyLimitEndToEnd() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...30, at: "2024-03-01T10:00:00Z")
            var faults = SandboxFaults()
            faults.maxBodyBytes = 150
            h.sandbox.faults = faults
            let report = try await h.sync(mapping: SyncHarness.mappingText.replacingOccurrences(of: "batch_size: 3", with: "batch_size: 10"))
            #expect(report.status == .succeeded)
            #expect(h.acceptedIDs.sorted() == (1...30).map { "conv-\($0)" }.sorted())
            #expect(h.sandbox.recorder.requestCount(.manyConvoMetadata, status: 413) > 0)
        }
    }

    // MARK: Kills under faults

    /// Conversation metadata and transcripts over generated tables: a few thousand messages, with rows the
    /// mapping must refuse (bad ids, conversations without a customer, empty texts, messages without a
    /// conversation, and so the messages of refused conversations).
    static let killMapping = """
        version: 1
        streams:
          - name: convs
            target: conversation-metadata
            source: { table: public.conv, watermark: updated_at, key: id }
            batch_size: 7
            fields:
              externalConversationId: { column: external_id }
              platform:
                column: channel
                map: { web: WEB, sms: SMS }
                default: null
          - name: transcripts
            target: transcripts
            conversations:
              source: { table: public.tconv, watermark: updated_at, key: id }
              fields:
                externalId: { column: external_id }
                timestamp: { column: started_at }
                customer.externalId: { column: customer_id }
                agent.externalId: { column: agent_id }
            messages:
              source: { table: public.tmsg, watermark: created_at, key: id, conversation: conversation_id, order: sent_at }
              batch_size: 25
              fields:
                text: { column: body }
                sender.role:
                  column: role
                  map: { AGENT: agent, CUSTOMER: customer }
                sender.externalId: { column: sender_id }
                timestamp: { column: sent_at }
        """

    static let conversationCount = 80
    static let messagesPerConversation = 40

    /// Watches a run on a thread of its own and SIGKILLs it once the sandbox has acknowledged `target`
    /// requests in all (or accepted `target` messages), then `wait` µs later; gives up after 30 s.
    ///
    /// The watch runs outside the task pool on purpose: with the other suites' work on the pool's few
    /// threads, a polling task can go unscheduled for seconds while the run it watches finishes.
    struct KillWatch: Sendable {
        let process: Process
        let recorder: SandboxRecorder
        let countsRequests: Bool
        let target: Int
        let wait: UInt32

        /// Whether the run was killed while running, and the messages accepted at that moment.
        func start() async -> (killed: Bool, messages: Int) {
            await withCheckedContinuation { (continuation: CheckedContinuation<(killed: Bool, messages: Int), Never>) in
                Thread { continuation.resume(returning: run()) }.start()
            }
        }

        private func reached() -> Bool {
            countsRequests ? recorder.requestCounts.values.reduce(0) { $0 + ($1[200] ?? 0) } >= target
                           : recorder.acceptedMessageCount >= target
        }

        private func run() -> (killed: Bool, messages: Int) {
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, !reached(), Date() < deadline { usleep(1000) }
            usleep(wait)
            guard process.isRunning else { return (false, 0) }
            kill(process.processIdentifier, SIGKILL)
            return (true, recorder.acceptedMessageCount)
        }
    }

    static func seedKillData(_ connection: PostgresConnection) async throws {
        let messages = conversationCount * messagesPerConversation
        try await connection.execute("""
            INSERT INTO public.conv
            SELECT id, CASE WHEN id % 37 = 0 THEN 'conv #' || id ELSE 'conv-' || id END,
                   (ARRAY['web', 'sms', 'fax'])[id % 3 + 1], '2024-03-01T00:00:00Z'::timestamptz + make_interval(secs => id / 10)
            FROM generate_series(1, 400) AS id;

            CREATE TABLE public.tconv (
                id bigint PRIMARY KEY, external_id text NOT NULL, customer_id text, agent_id text,
                started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
            );
            INSERT INTO public.tconv
            SELECT id, 'tc-' || id, CASE WHEN id % 29 = 0 THEN NULL ELSE 'cust-' || id END, 'agent-' || id,
                   '2024-05-01T07:00:00Z'::timestamptz, '2024-05-01T07:30:00Z'::timestamptz + make_interval(secs => id / 4)
            FROM generate_series(1, \(conversationCount)) AS id;

            CREATE TABLE public.tmsg (
                id bigint PRIMARY KEY, conversation_id bigint, role text, sender_id text, body text,
                sent_at timestamptz, created_at timestamptz NOT NULL
            );
            INSERT INTO public.tmsg
            SELECT id, CASE WHEN id % 211 = 0 THEN NULL ELSE (id - 1) / \(messagesPerConversation) + 1 END,
                   CASE WHEN id % 2 = 0 THEN 'AGENT' ELSE 'CUSTOMER' END, 'p-' || id % 7,
                   CASE WHEN id % 97 = 0 THEN '' ELSE 'm-' || id END,
                   '2024-05-01T08:00:00Z'::timestamptz + make_interval(secs => id),
                   '2024-05-01T09:00:00Z'::timestamptz + make_interval(secs => id / 50)
            FROM generate_series(1, \(messages)) AS id;
            """)
    }

    @Test("a full sync under 20% injected faults and 10 SIGKILLs delivers every row at least once and nothing invalid")
    func killsUnderFaults() async throws {
        try await SyncHarness.with { h in
            try await Self.seedKillData(h.connection)
            var faults = SandboxFaults()
            faults.tooManyRequestsRate = 0.07
            faults.retryAfterSeconds = 0
            faults.serviceUnavailableRate = 0.07
            faults.dropConnectionRate = 0.06
            // Each answer takes a while, so a run cannot finish what is left between reaching its kill
            // point and the kill, however fast the connector maps and sends.
            faults.latency = .milliseconds(15)
            faults.seed = 2024
            h.sandbox.faults = faults

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asapp-sync-kill-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let mapping = dir.appendingPathComponent("kill.yaml").path
            try Self.killMapping.write(toFile: mapping, atomically: true, encoding: .utf8)
            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            let arguments = ["sync", "--mapping", mapping, "--database-url", h.databaseURL, "--page-size", "50", "--concurrency", "3",
                             "--log-level", "error"]

            let clock = ContinuousClock()
            let started = clock.now
            // Kill points are random moments of progress: each run is killed after a random number of new
            // acknowledged requests (so every run moves the sync on, however much its restart redid), and
            // the last four after a random number of new accepted messages, so kills also land between
            // conversations' message batches whatever the machine's speed.
            var random = SeededRandom(seed: 77)
            func acknowledged() -> Int { h.sandbox.recorder.requestCounts.values.reduce(0) { $0 + ($1[200] ?? 0) } }
            var kills = 0
            var finishedBeforeKill = 0
            var endStatuses: [Int32] = []
            var messagesAtKill: [Int] = []
            for round in 0..<10 {
                let process = try CLI.launch(arguments, environment: env).process
                let recorder = h.sandbox.recorder
                // Rounds 0 to 5 wait for new acknowledged requests, the others for new accepted messages.
                let target = round < 6 ? acknowledged() + Int.random(in: 10...45, using: &random)
                                       : recorder.acceptedMessageCount + Int.random(in: 1...300, using: &random)
                // A little more, at random, so the kill falls anywhere within a request's life.
                let extra = UInt32(Int.random(in: 0...30, using: &random)) * 1000
                let watch = KillWatch(process: process, recorder: recorder, countsRequests: round < 6, target: target, wait: extra)
                let outcome = await watch.start()
                if outcome.killed {
                    kills += 1
                    messagesAtKill.append(outcome.messages)
                } else {
                    finishedBeforeKill += 1
                }
                process.waitUntilExit()
                if process.terminationReason == .exit { endStatuses.append(process.terminationStatus) }
            }
            // Then runs to completion; a run may still fail when one request meets every one of its
            // attempts faulted, which leaves its rows for the next run, as designed.
            var finalRuns = 0
            var finalStatus: Int32 = -1
            while finalRuns < 5 {
                finalRuns += 1
                let result = try await CLI.run(arguments, environment: env)
                finalStatus = result.status
                if result.status == 0 || result.status == 3 { break }
            }
            let runtime = clock.now - started
            #expect(finalStatus == 0 || finalStatus == 3, "the final run exited \(finalStatus)")
            #expect(kills >= 8, "only \(kills) kills landed mid-run")
            // At least one kill interrupted the message phase itself, between conversations' batches (how
            // many depends on the machine's load, so only one is required).
            let finalMessages = h.sandbox.recorder.acceptedMessageCount
            #expect(messagesAtKill.filter { $0 > 0 && $0 < finalMessages }.count >= 1, "messages at the kills: \(messagesAtKill)")

            let recorder = h.sandbox.recorder
            // Nothing that breaks the contract was ever sent: the sandbox refused nothing.
            let refused = recorder.requestCounts.values.reduce(0) { $0 + ($1[400] ?? 0) + ($1[404] ?? 0) + ($1[413] ?? 0) }
            #expect(refused == 0, "the sandbox refused \(refused) requests: \(recorder.requestCounts)")
            #expect(try await h.scalar("SELECT count(*)::text FROM asapp_sync.rejects WHERE stage = 'api'") == "0")
            // Each row's reject is recorded exactly once however often the run was killed.
            #expect(try await h.scalar("""
                SELECT count(*)::text FROM (SELECT stream, source_key FROM asapp_sync.rejects GROUP BY 1, 2 HAVING count(*) > 1) d
                """) == "0")

            func rejected(_ stream: String) async throws -> Set<Int> {
                let rows = try await h.connection.query("SELECT source_key FROM asapp_sync.rejects WHERE stream = $1", [PostgresBind(stream)])
                return Set(try rows.map { Int(try $0.decode(String.self, at: 0))! })
            }
            func number(_ text: String?, after prefix: String) -> Int? {
                guard let text, text.hasPrefix(prefix) else { return nil }
                return Int(text.dropFirst(prefix.count))
            }

            // Conversation metadata.
            let convAccepted = h.acceptedIDs.compactMap { number($0, after: "conv-") }
            let convRejected = try await rejected("convs")
            #expect(Set(convAccepted).isDisjoint(with: convRejected))
            #expect(Set(convAccepted).union(convRejected) == Set(1...400))
            #expect(convRejected == Set((1...400).filter { $0 % 37 == 0 }))

            // Conversations.
            let conversations = recorder.conversations
            let convoAccepted = conversations.compactMap { number($0.externalId, after: "tc-") }
            let convoRejected = try await rejected("transcripts:conversations")
            #expect(Set(convoAccepted).isDisjoint(with: convoRejected))
            #expect(Set(convoAccepted).union(convoRejected) == Set(1...Self.conversationCount))
            #expect(convoRejected == Set((1...Self.conversationCount).filter { $0 % 29 == 0 }))

            // Messages: each in its own conversation, first deliveries in sent order.
            var messageAccepted: [Int] = []
            for conversation in conversations {
                let owner = number(conversation.externalId, after: "tc-") ?? -1
                let ids = conversation.messages.compactMap { number($0["text"]?.stringValue, after: "m-") }
                #expect(ids.count == conversation.messages.count)
                #expect(ids.allSatisfy { ($0 - 1) / Self.messagesPerConversation + 1 == owner })
                var seen = Set<Int>()
                let firsts = ids.filter { seen.insert($0).inserted }
                #expect(firsts == firsts.sorted(), "conversation \(owner) got its messages out of order")
                messageAccepted += ids
            }
            let messageRejected = try await rejected("transcripts:messages")
            let allMessages = Set(1...(Self.conversationCount * Self.messagesPerConversation))
            #expect(Set(messageAccepted).isDisjoint(with: messageRejected))
            #expect(Set(messageAccepted).union(messageRejected) == allMessages)
            #expect(messageRejected == allMessages.filter { $0 % 211 == 0 || $0 % 97 == 0 || convoRejected.contains(($0 - 1) / Self.messagesPerConversation + 1) })

            let duplicates = (convAccepted.count - Set(convAccepted).count) + (messageAccepted.count - Set(messageAccepted).count)
                + conversations.reduce(0) { $0 + $1.updateCount - 1 }
            let faulted = recorder.requestCounts.values.reduce(0) { $0 + ($1[429] ?? 0) + ($1[503] ?? 0) + ($1[0] ?? 0) }
            let answered = recorder.requestCounts.values.reduce(0) { $0 + $1.values.reduce(0, +) }
            print("""
                kill test: \(400 + Self.conversationCount + allMessages.count) source rows (\(allMessages.count) messages), \
                \(kills) kills (\(finishedBeforeKill) runs ended first, exiting \(endStatuses)), \(finalRuns) final run(s), \(answered) requests, \
                \(faulted) faulted, \(duplicates) duplicate deliveries, \
                \(convRejected.count + convoRejected.count + messageRejected.count) rejects, runtime \(runtime)
                """)

            // A further run finds nothing new and sends nothing.
            let before = recorder.acceptedMessageCount
            let again = try await CLI.run(arguments, environment: env)
            #expect(again.status == 0)
            #expect(recorder.acceptedMessageCount == before)
        }
    }
}
