import Foundation
import Loader
import Logging
import Mapping
import Postgres
import SandboxServer
import SyncCore
import SyncEngine
import Testing

/// Conversations and messages in a real database, delivered to the sandbox's Conversations API.
struct TranscriptHarness {
    let base: SyncHarness

    static let mappingText = """
        version: 1
        streams:
          - name: transcripts
            target: transcripts
            conversations:
              source: { table: public.tconv, watermark: updated_at, key: id }
              fields:
                externalId: { column: external_id }
                timestamp: { column: started_at }
                customer.externalId: { column: customer_id }
                customer.name: { column: customer_name }
                agent.externalId: { column: agent_id }
                agent.name: { column: agent_name }
                metadata.channel: { column: channel }
            messages:
              source: { table: public.tmsg, watermark: created_at, key: id, conversation: conversation_id, order: sent_at }
              fields:
                text: { column: body }
                sender.role:
                  column: role
                  map: { AGENT: agent, CUSTOMER: customer, BOT: system }
                sender.externalId: { column: sender_id }
                timestamp: { column: sent_at }
        """

    static func with(_ body: (TranscriptHarness) async throws -> Void) async throws {
        try await SyncHarness.with { base in
            try await base.connection.execute("""
                CREATE TABLE public.tconv (
                    id            bigint PRIMARY KEY,
                    external_id   text NOT NULL,
                    customer_id   text NOT NULL,
                    customer_name text,
                    agent_id      text,
                    agent_name    text,
                    channel       text,
                    started_at    timestamptz NOT NULL,
                    updated_at    timestamptz NOT NULL
                );
                CREATE TABLE public.tmsg (
                    id              bigint PRIMARY KEY,
                    conversation_id bigint,
                    role            text,
                    sender_id       text,
                    body            text,
                    sent_at         timestamptz,
                    created_at      timestamptz NOT NULL
                );
                """)
            try await body(TranscriptHarness(base: base))
        }
    }

    func conversation(_ id: Int, at: String = "2024-05-01T08:00:00Z", agent: Bool = true) async throws {
        _ = try await base.connection.query("""
            INSERT INTO public.tconv VALUES ($1, $2, $3, 'Ana Pérez', $4, $5, 'web', '2024-05-01T07:59:00.25Z', $6::timestamptz)
            """, [PostgresBind(id), PostgresBind("conv-\(id)"), PostgresBind("cust-\(id)"),
                  PostgresBind(agent ? "agent-\(id)" : nil), PostgresBind(agent ? "Bo" : nil), PostgresBind(at)])
    }

    /// Inserts conversations 1 to `count` in one statement (`conv-N`, with a customer and an agent).
    func conversations(count: Int) async throws {
        _ = try await base.connection.query("""
            INSERT INTO public.tconv
            SELECT c, 'conv-' || c, 'cust-' || c, 'Ana', 'agent-' || c, 'Bo', 'web', '2024-05-01T07:59:00Z', '2024-05-01T08:00:00Z'
            FROM generate_series(1, $1::int) AS c
            """, [PostgresBind(count)])
    }

    /// Inserts messages `m-C-M` into conversations 1 to `conversations` in one statement: `each` (SQL over
    /// the conversation `c`) messages each, message `m` sent at second `sentSecond` (SQL over `m`).
    func generatedMessages(conversations: Int, each: String, sentSecond: String = "m") async throws {
        _ = try await base.connection.query("""
            INSERT INTO public.tmsg
            SELECT c * 100000 + m, c, CASE WHEN m % 2 = 0 THEN 'AGENT' ELSE 'CUSTOMER' END, 's-' || c, 'm-' || c || '-' || m,
                   '2024-05-01T08:00:00Z'::timestamptz + make_interval(secs => \(sentSecond)), '2024-05-01T09:00:00Z'
            FROM generate_series(1, $1::int) AS c, generate_series(1, \(each)) AS m
            """, [PostgresBind(conversations)])
    }

    /// Inserts messages `ids` into `conversation`; message `i` is sent at second `sentSecond(i)` and
    /// written (created) at `createdAt`.
    func messages(_ ids: some Sequence<Int>, conversation: Int, createdAt: String = "2024-05-01T09:00:00Z",
                  body: (Int) -> String? = { "m-\($0)" }, sentSecond: (Int) -> Int = { $0 }) async throws {
        for id in ids {
            _ = try await base.connection.query("""
                INSERT INTO public.tmsg VALUES ($1, $2, $3, $4, $5, '2024-05-01T08:00:00Z'::timestamptz + make_interval(secs => $6), $7::timestamptz)
                """, [PostgresBind(id), PostgresBind(conversation), PostgresBind(id % 2 == 0 ? "AGENT" : "CUSTOMER"),
                      PostgresBind(id % 2 == 0 ? "agent-\(conversation)" : "cust-\(conversation)"), PostgresBind(body(id)),
                      PostgresBind(sentSecond(id)), PostgresBind(createdAt)])
        }
    }

    /// Conversations 1 to 40, created by a first run, then 350 messages each (14,000 over three pages of
    /// the window; two batches a conversation) against a sandbox 100 ms away: slow enough that a run of
    /// them is far from its end after 3,000 messages, on a busy machine too (at least 10 rounds of 100 ms
    /// at 8 conversations at a time).
    func slowWindowOfSeveralPages() async throws {
        try await conversations(count: 40)
        #expect(try await sync().status == .succeeded)
        try await generatedMessages(conversations: 40, each: "350")
        var faults = SandboxFaults()
        faults.latency = .milliseconds(100)
        base.sandbox.faults = faults
    }

    /// Waits until the sandbox has accepted `count` messages, for at most 15 seconds.
    func waitForAcceptedMessages(_ count: Int) async throws {
        for _ in 0..<3000 where recorder.acceptedMessageCount < count { try await Task.sleep(for: .milliseconds(5)) }
    }

    func sync(_ text: String = TranscriptHarness.mappingText) async throws -> SyncReport {
        try await base.sync(mapping: text)
    }

    var recorder: SandboxRecorder { base.sandbox.recorder }

    func texts(_ externalID: String) -> [String] {
        recorder.conversation(externalId: externalID)?.messages.compactMap { $0["text"]?.stringValue } ?? []
    }
}

@Suite("Transcripts: conversations and their messages")
struct TranscriptSyncTests {
    @Test func sevenHundredMessagesArriveCompleteInOrderInThreeBatches() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            // Written in reverse of the order they were sent: delivery follows `sent_at`, not the watermark.
            try await h.messages(1...700, conversation: 1, sentSecond: { 10_000 - $0 })
            let report = try await h.sync()
            #expect(report.status == .succeeded)
            let messages = try #require(report.streams.first?.phase("transcripts:messages"))
            #expect(messages.stats.itemsSent == 700)
            #expect(messages.batches == 3)
            #expect(h.recorder.requestCount(.createMessageBatch, status: 200) == 3)
            #expect(h.texts("conv-1") == (1...700).reversed().map { "m-\($0)" })
            let first = try #require(h.recorder.conversation(externalId: "conv-1")?.messages.first)
            #expect(first["timestamp"]?.stringValue == "2024-05-01T10:35:00.000Z")
            #expect(first["sender"]?["role"]?.stringValue == "agent")

            let second = try await h.sync()
            #expect(second.totals.itemsSent == 0)
            #expect(h.recorder.requestCount(.createMessageBatch) == 3)
            #expect(h.recorder.conversation(externalId: "conv-1")?.updateCount == 1)
        }
    }

    @Test func newMessagesOnOldConversationsGoWithoutCreatingThemAgain() async throws {
        try await TranscriptHarness.with { h in
            for c in 1...3 { try await h.conversation(c) }
            try await h.messages(1...5, conversation: 1)
            try await h.messages(6...9, conversation: 2)
            try await h.messages(10...12, conversation: 3)
            _ = try await h.sync()
            let created = h.recorder.requestCount(.createConversation)
            #expect(created == 3)

            try await h.messages(13...14, conversation: 1, createdAt: "2024-05-02T09:00:00Z")
            try await h.messages(15...17, conversation: 2, createdAt: "2024-05-02T09:00:00Z")
            let report = try await h.sync()
            #expect(h.recorder.requestCount(.createConversation) == created)
            let messages = try #require(report.streams.first?.phase("transcripts:messages"))
            #expect(messages.stats.rowsRead == 5)
            #expect(messages.stats.itemsSent == 5)
            #expect(h.texts("conv-1") == (1...5).map { "m-\($0)" } + ["m-13", "m-14"])
            #expect(h.texts("conv-2") == (6...9).map { "m-\($0)" } + ["m-15", "m-16", "m-17"])
            #expect(h.texts("conv-3").count == 3)
        }
    }

    @Test func aChangedConversationIsUpdatedThroughTheSameCall() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            try await h.messages(1...2, conversation: 1)
            _ = try await h.sync()
            let id = h.recorder.conversation(externalId: "conv-1")?.id
            _ = try await h.base.connection.query("UPDATE public.tconv SET channel = 'sms', updated_at = '2024-06-01T00:00:00Z' WHERE id = 1")
            _ = try await h.sync()
            let conversation = try #require(h.recorder.conversation(externalId: "conv-1"))
            #expect(conversation.updateCount == 2)
            #expect(conversation.id == id)
            #expect(conversation.body?["metadata"]?["channel"]?.stringValue == "sms")
            #expect(conversation.messageCount == 2)
        }
    }

    @Test func aConversationNoAgentJoinedIsCreatedWithoutAnAgent() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1, agent: false)
            try await h.messages([1], conversation: 1)
            let report = try await h.sync()
            #expect(report.status == .succeeded)
            let body = try #require(h.recorder.conversation(externalId: "conv-1")?.body)
            #expect(body["agent"] == nil)
            #expect(body["customer"]?["externalId"]?.stringValue == "cust-1")
            #expect(body["timestamp"]?.stringValue == "2024-05-01T07:59:00.250Z")
        }
    }

    @Test func unicodeBodiesArriveByteIdentical() async throws {
        let bodies = [
            "Hello 👩‍💻 — “quoted” and 'single' \"double\"",
            "مرحبا، كيف يمكنني مساعدتك؟",
            "שלום! ‏RTL with mark",
            "line one\nline two\r\n\ttabbed\\backslash",
            "🇺🇸 👨‍👩‍👧‍👦 👍🏽 e\u{301} 漢字かなカナ",
            "{\"looks\": \"like json\"} <b>html</b> '); DROP TABLE x; --",
        ]
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            try await h.messages(1...bodies.count, conversation: 1, body: { bodies[$0 - 1] })
            _ = try await h.sync()
            let received = h.texts("conv-1")
            #expect(received == bodies)
            #expect(received.map { Array($0.utf8) } == bodies.map { Array($0.utf8) })
        }
    }

    @Test func anEmptyMessageIsRejectedWithAReasonAndItsNeighboursGo() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            try await h.messages(1...5, conversation: 1, body: { $0 == 3 ? "" : $0 == 4 ? nil : "m-\($0)" })
            let report = try await h.sync()
            #expect(report.status == .completedWithRejects)
            #expect(h.texts("conv-1") == ["m-1", "m-2", "m-5"])
            let rejects = try await h.base.connection.query(
                "SELECT stream, source_key, field, error FROM asapp_sync.rejects ORDER BY source_key").rows
            #expect(rejects.count == 2)
            #expect(try rejects.map { try $0.decode(String.self, column: "source_key") } == ["3", "4"])
            #expect(try rejects.allSatisfy { try $0.decode(String.self, column: "stream") == "transcripts:messages" })
            #expect(try rejects.allSatisfy { try $0.decode(String?.self, column: "field") == "text" })
        }
    }

    @Test(arguments: ["skip", "{ replace: \"(no text)\" }"])
    func theMappingSaysWhatAnEmptyMessageBecomes(policy: String) async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            try await h.messages(1...3, conversation: 1, body: { $0 == 2 ? "" : "m-\($0)" })
            let text = TranscriptHarness.mappingText.replacingOccurrences(of: "text: { column: body }",
                                                                         with: "text: { column: body, if_empty: \(policy) }")
            let report = try await h.sync(text)
            #expect(report.status == .succeeded)
            let messages = try #require(report.streams.first?.phase("transcripts:messages"))
            if policy == "skip" {
                #expect(h.texts("conv-1") == ["m-1", "m-3"])
                #expect(messages.stats.skipped == 1)
            } else {
                #expect(h.texts("conv-1") == ["m-1", "(no text)", "m-3"])
            }
        }
    }

    @Test func messagesOfAConversationThatCouldNotBeCreatedAreRecorded() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversation(1)
            try await h.messages(1...2, conversation: 1)
            // Conversation 2 does not exist in the conversations table; message 4 belongs to none.
            try await h.messages([3], conversation: 2)
            _ = try await h.base.connection.query(
                "INSERT INTO public.tmsg VALUES (4, NULL, 'AGENT', 'a', 'lost', '2024-05-01T08:00:00Z', '2024-05-01T09:00:00Z')")
            let report = try await h.sync()
            #expect(report.status == .completedWithRejects)
            #expect(h.texts("conv-1") == ["m-1", "m-2"])
            let keys = try await h.base.connection.query("SELECT source_key FROM asapp_sync.rejects ORDER BY source_key").rows
                .map { try $0.decode(String.self, at: 0) }
            #expect(keys == ["3", "4"])
            // The window closed: the next run reads nothing again.
            #expect(try await h.sync().totals.rowsRead == 0)
        }
    }

    @Test func anAPIAtItsCapacitySlowsTheDefaultConcurrencyDownAndEveryMessageArrivesOnceInOrder() async throws {
        try await TranscriptHarness.with { h in
            // 120 conversations of 5 messages: far more than the API takes at once.
            try await h.conversations(count: 120)
            try await h.generatedMessages(conversations: 120, each: "5", sentSecond: "10 - m")
            var faults = SandboxFaults()
            faults.maxConcurrentRequests = 4
            faults.latency = .milliseconds(5)
            faults.retryAfterSeconds = 0
            h.base.sandbox.faults = faults
            // Attempts enough that the test is about the limit adapting, not about the retry bound.
            var configuration = h.base.configuration()
            configuration.loader.maxAttempts = 12
            #expect(configuration.smallRequestsInFlight == 128)
            let mapping = try MappingParser.parse(TranscriptHarness.mappingText, path: "test.yaml")
            let report = try await SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            #expect(report.status == .succeeded)
            // The default sent more than the API takes at once, so it met refusals, and settled under them.
            let refused = h.recorder.requestCount(.createConversation, status: 429) + h.recorder.requestCount(.createMessageBatch, status: 429)
            #expect(refused > 0)
            #expect(h.recorder.requestCount(.createConversation, status: 200) == 120)
            #expect(h.recorder.requestCount(.createMessageBatch, status: 200) == 120)
            for c in 1...120 {
                #expect(h.texts("conv-\(c)") == (1...5).reversed().map { "m-\(c)-\($0)" }, "conversation \(c)")
                #expect(h.recorder.conversation(externalId: "conv-\(c)")?.updateCount == 1, "conversation \(c) was written more than once")
            }
        }
    }

    @Test func aWindowOfSeveralPagesWithAConversationTooLongToHoldArrivesWholeAndInOrder() async throws {
        try await TranscriptHarness.with { h in
            try await h.conversations(count: 40)
            // 13,250 messages: the window is read in pages of 5,000, and conversations straddle pages.
            // Conversation 20 has 3,500 messages, too many to hold: it is delivered on its own, and the
            // read goes on after it.
            try await h.generatedMessages(conversations: 40, each: "CASE WHEN c = 20 THEN 3500 ELSE 250 END")
            let report = try await h.sync()
            #expect(report.status == .succeeded)
            let messages = try #require(report.streams.first?.phase("transcripts:messages"))
            #expect(messages.stats.rowsRead == 13_250)
            #expect(messages.stats.itemsSent == 13_250)
            // One batch for each conversation of 250, twelve of at most 300 for the long one.
            #expect(h.recorder.requestCount(.createMessageBatch, status: 200) == 39 + 12)
            for c in 1...40 {
                let count = c == 20 ? 3500 : 250
                #expect(h.texts("conv-\(c)") == (1...count).map { "m-\(c)-\($0)" }, "conversation \(c)")
            }

            let second = try await h.sync()
            #expect(second.totals.itemsSent == 0)
        }
    }

    /// A run stopped in the middle of a window of several pages commits what the API acknowledged; the
    /// next run resumes the same window, each conversation after its progress (looked up page by page
    /// as the window is read again), and no message arrives twice or out of order.
    @Test func aWindowStoppedPartwayResumesEveryConversationWhereItStopped() async throws {
        try await TranscriptHarness.with { h in
            try await h.slowWindowOfSeveralPages()
            var configuration = h.base.configuration(concurrency: 8)
            let stop = StopRequest()
            configuration.stop = stop
            let mapping = try MappingParser.parse(TranscriptHarness.mappingText, path: "test.yaml")
            async let first = SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            try await h.waitForAcceptedMessages(3000)
            stop.request()
            let stopped = try await first
            #expect(stopped.status == .interrupted)
            let sentBefore = h.recorder.acceptedMessageCount
            #expect(sentBefore >= 3000 && sentBefore < 14_000, "sent before the stop: \(sentBefore)")

            h.base.sandbox.faults = SandboxFaults()
            let resumed = try await h.sync()
            #expect(resumed.status == .succeeded)
            let messages = try #require(resumed.streams.first?.phase("transcripts:messages"))
            #expect(messages.stats.itemsSent == 14_000 - sentBefore)
            let wrong = (1...40).filter { c in h.texts("conv-\(c)") != (1...350).map { "m-\(c)-\($0)" } }
            #expect(wrong.isEmpty, "conversations not received exactly once and in order: \(wrong)")
        }
    }

    /// Every session of the run ended by the server in the middle of the window (the page being read,
    /// a lookup or a commit fails with it): the run reconnects and resumes, every message arrives, in
    /// order, and what goes twice stays under the bound on messages sent and not committed.
    @Test func aWindowWhoseConnectionsAreEndedMidwayIsResumedOnNewOnes() async throws {
        try await TranscriptHarness.with { h in
            try await h.slowWindowOfSeveralPages()
            let mapping = try MappingParser.parse(TranscriptHarness.mappingText, path: "test.yaml")
            async let report = SyncRunner(configuration: h.base.configuration(concurrency: 8), logger: Logger(label: "test")).run(mapping: mapping)
            try await h.waitForAcceptedMessages(3000)
            let ended = try await h.base.endOtherSessions()
            #expect(ended >= 2, "sessions ended: \(ended)")
            let result = try await report
            #expect(result.status == .succeeded)
            var again = 0
            var wrong: [Int] = []
            for c in 1...40 {
                let texts = h.texts("conv-\(c)")
                var seen = Set<String>()
                let firsts = texts.filter { seen.insert($0).inserted }
                if firsts != (1...350).map({ "m-\(c)-\($0)" }) { wrong.append(c) }
                again += texts.count - firsts.count
            }
            #expect(wrong.isEmpty, "conversations with a message missing or out of order: \(wrong)")
            #expect(again <= 1500, "messages sent twice: \(again)")
            #expect(try await h.base.scalar("SELECT count(*)::text FROM asapp_sync.message_windows") == "0")
        }
    }

    /// What a crash can send again is bounded: 1,500 messages sent and not committed (`uncommittedRows`).
    /// With conversations of 100 messages that is 15 conversations at once, whatever `--concurrency`
    /// allows: an API that takes 15 at once refuses none of them (with a bound of 1,600 it refuses one),
    /// and one that takes 8 refuses some, so the phase does send many at once.
    @Test(arguments: [(capacity: 15, refuses: false), (capacity: 8, refuses: true)])
    func messagesSentAndNotCommittedStayUnderTheirBound(capacity: Int, refuses: Bool) async throws {
        try await TranscriptHarness.with { h in
            try await h.conversations(count: 40)
            // The conversations first, at no limit, so that only messages meet it.
            #expect(try await h.sync().status == .succeeded)
            try await h.generatedMessages(conversations: 40, each: "100")
            var faults = SandboxFaults()
            faults.maxConcurrentRequests = capacity
            // Long enough that the first conversations are all under way before any is answered, even
            // in a debug build on a busy machine.
            faults.latency = .milliseconds(300)
            faults.retryAfterSeconds = 0
            h.base.sandbox.faults = faults
            var configuration = h.base.configuration()
            configuration.loader.maxAttempts = 12
            let mapping = try MappingParser.parse(TranscriptHarness.mappingText, path: "test.yaml")
            let report = try await SyncRunner(configuration: configuration, logger: Logger(label: "test")).run(mapping: mapping)
            #expect(report.status == .succeeded)
            let refused = h.recorder.requestCount(.createMessageBatch, status: 429)
            if refuses { #expect(refused > 0) } else { #expect(refused == 0) }
            #expect(h.recorder.requestCount(.createMessageBatch, status: 200) == 40)
            for c in 1...40 {
                #expect(h.texts("conv-\(c)") == (1...100).map { "m-\(c)-\($0)" }, "conversation \(c)")
            }
        }
    }
}
