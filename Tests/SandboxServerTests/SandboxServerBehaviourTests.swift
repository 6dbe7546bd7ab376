import APIContract
import AsyncHTTPClient
import Foundation
import SandboxServer
import SyncCore
import Testing

@Suite("Sandbox server behaviour")
struct SandboxServerBehaviourTests {
    @Test("keep-alive: many requests share one connection")
    func keepAlive() async throws {
        try await SandboxHarness.with { harness in
            for index in 0..<8 {
                let reply = try await harness.send(.POST, "/metadata-ingestion/v1/single-agent-metadata", body: #"{"externalAgentId":"a-\#(index)"}"#)
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "connection") == "keep-alive")
            }
            _ = try await harness.send(.GET, "/v1/health", credentials: nil, contentType: nil)
            #expect(harness.sandbox.acceptedConnectionCount == 1)
            #expect(harness.sandbox.recorder.acceptedItemCount(.agent) == 8)
        }
    }

    @Test("bodies over the limit are 413 and the server keeps serving")
    func bodyLimit() async throws {
        try await SandboxHarness.with({ $0.maxBodyBytes = 1024 }) { harness in
            let big = Payloads.items((0..<100).map { Payloads.convoItem("conversation-\($0)") })
            #expect(big.utf8.count > 1024)
            let reply = try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata", body: big)
            #expect(reply.status == 413)
            #expect(reply.errorCode == "413-01")
            let small = try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata",
                                               body: Payloads.items([Payloads.convoItem("ok")]))
            #expect(small.status == 200)
            #expect(harness.sandbox.recorder.requestCount(.manyConvoMetadata, status: 413) == 1)
        }
    }

    @Test("inspection routes: stats, accepted items, conversations, reset")
    func inspection() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.send(.POST, "/metadata-ingestion/v1/many-agent-metadata",
                                       body: #"{"items":[{"externalAgentId":"a-1","agentName":"Zoë"},{"externalAgentId":"bad id"}]}"#)
            let id = try #require(try await harness.send(.POST, "/conversation/v1/conversations", body: Payloads.conversation("c-1")).json["id"]?.stringValue)
            _ = try await harness.send(.POST, Endpoint.createMessageBatch.path(conversationId: id),
                                       body: Payloads.batch([Payloads.message("hi"), Payloads.message("there")]))

            let stats = try await harness.send(.GET, "/sandbox/v1/stats", credentials: nil, contentType: nil).json
            #expect(stats["requests"]?["many-agent-metadata"]?["200"] == .int(1))
            #expect(stats["requests"]?["createConversation"]?["200"] == .int(1))
            #expect(stats["accepted"]?["agent"] == .int(1))
            #expect(stats["conversations"] == .int(1))
            #expect(stats["messages"] == .int(2))

            let agents = try await harness.send(.GET, "/sandbox/v1/accepted/agent", credentials: nil, contentType: nil).json
            #expect(agents["count"] == .int(1))
            #expect(agents["items"]?.arrayValue?.first?["agentName"] == .string("Zoë"))

            let conversations = try await harness.send(.GET, "/sandbox/v1/conversations", credentials: nil, contentType: nil).json
            let first = conversations["conversations"]?.arrayValue?.first
            #expect(first?["id"] == .string(id))
            #expect(first?["messages"]?.arrayValue?.map { $0["text"] } == [.string("hi"), .string("there")])

            #expect(try await harness.send(.GET, "/sandbox/v1/accepted/vendor", credentials: nil, contentType: nil).status == 404)
            #expect(try await harness.send(.GET, "/sandbox/v1/reset", credentials: nil, contentType: nil).status == 405)
            let reset = try await harness.send(.POST, "/sandbox/v1/reset", credentials: nil, contentType: nil)
            #expect(reset.status == 200)
            #expect(harness.sandbox.recorder.acceptedItemCount(.agent) == 0)
            #expect(harness.sandbox.recorder.conversations.isEmpty)
            #expect(harness.sandbox.recorder.requestCounts.isEmpty)
        }
    }

    @Test("counts-only mode keeps counters and ids but no bodies")
    func countsOnly() async throws {
        try await SandboxHarness.with({ $0.recordBodies = false }) { harness in
            _ = try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata",
                                       body: Payloads.items([Payloads.convoItem("a"), Payloads.convoItem("b")]))
            let id = try #require(try await harness.send(.POST, "/conversation/v1/conversations", body: Payloads.conversation("c")).json["id"]?.stringValue)
            let again = try await harness.send(.POST, "/conversation/v1/conversations", body: Payloads.conversation("c")).json["id"]?.stringValue
            #expect(again == id)
            #expect(try await harness.send(.POST, Endpoint.createMessage.path(conversationId: id), body: Payloads.message("x")).status == 200)
            let batch = Payloads.batch([Payloads.message("a"), Payloads.message("b"), Payloads.message("c")])
            #expect(try await harness.send(.POST, Endpoint.createMessageBatch.path(conversationId: id), body: batch).status == 200)
            let recorder = harness.sandbox.recorder
            #expect(recorder.acceptedItemCount(.convo) == 2)
            #expect(recorder.acceptedItems(.convo).isEmpty)
            #expect(recorder.conversation(id: id)?.body == nil)
            #expect(recorder.conversation(id: id)?.messageCount == 4)
            #expect(recorder.conversation(id: id)?.messages.isEmpty == true)
        }
    }

    @Test("the record file gets one JSON line per accepted item, conversation and message")
    func recordFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await SandboxHarness.with({ $0.recordPath = path }) { harness in
            _ = try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata",
                                       body: Payloads.items([Payloads.convoItem("a"), Payloads.convoItem("b", platform: "OTHER")]))
            let id = try #require(try await harness.send(.POST, "/conversation/v1/conversations", body: Payloads.conversation("c")).json["id"]?.stringValue)
            _ = try await harness.send(.POST, Endpoint.createMessageBatch.path(conversationId: id),
                                       body: Payloads.batch([Payloads.message("line\\none"), Payloads.message("two")]))
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.map { $0["kind"]?.stringValue } == ["item", "conversation", "message", "message"])
        try #require(lines.count == 4)
        #expect(lines[0]["body"]?["externalConversationId"] == .string("a"))
        #expect(lines[2]["body"]?["text"] == .string("line\none"))
    }

    @Test("injected faults: 429 with Retry-After, 503, then back to normal")
    func faults() async throws {
        try await SandboxHarness.with { harness in
            var faults = SandboxFaults()
            faults.tooManyRequestsRate = 1
            faults.retryAfterSeconds = 7
            harness.sandbox.faults = faults
            let path = "/metadata-ingestion/v1/single-agent-metadata"
            let throttled = try await harness.send(.POST, path, body: #"{"externalAgentId":"a"}"#)
            #expect(throttled.status == 429)
            #expect(throttled.errorCode == "429-01")
            #expect(throttled.headers.first(name: "retry-after") == "7")
            // Health is never faulted.
            #expect(try await harness.send(.GET, "/v1/health", credentials: nil, contentType: nil).status == 200)

            faults = SandboxFaults()
            faults.serviceUnavailableRate = 1
            harness.sandbox.faults = faults
            #expect(try await harness.send(.POST, path, body: #"{"externalAgentId":"a"}"#).status == 503)

            harness.sandbox.faults = SandboxFaults()
            #expect(try await harness.send(.POST, path, body: #"{"externalAgentId":"a"}"#).status == 200)
            #expect(harness.sandbox.recorder.acceptedItemCount(.agent) == 1)
        }
    }

    @Test("injected dropped connections close the socket without an answer")
    func droppedConnection() async throws {
        try await SandboxHarness.with { harness in
            var faults = SandboxFaults()
            faults.dropConnectionRate = 1
            harness.sandbox.faults = faults
            do {
                let reply = try await harness.send(.POST, "/metadata-ingestion/v1/single-agent-metadata", body: #"{"externalAgentId":"a"}"#)
                Issue.record("expected the connection to drop, got \(reply.status)")
            } catch {
                // Expected: the client sees the connection close before any answer.
            }
            harness.sandbox.faults = SandboxFaults()
            let reply = try await harness.send(.POST, "/metadata-ingestion/v1/single-agent-metadata", body: #"{"externalAgentId":"a"}"#)
            #expect(reply.status == 200)
            #expect(harness.sandbox.recorder.acceptedItemCount(.agent) == 1)
        }
    }

    @Test("a second shutdown is harmless")
    func doubleShutdown() async throws {
        let sandbox = try await Sandbox.start(SandboxConfiguration(apiID: "a", apiSecret: "b"))
        #expect(sandbox.port > 0)
        #expect(sandbox.baseURL == "http://127.0.0.1:\(sandbox.port)")
        try await sandbox.shutdown()
        try await sandbox.shutdown()
    }
}
