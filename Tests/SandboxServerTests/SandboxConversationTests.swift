import APIContract
import SyncCore
import Testing

@Suite("Sandbox conversations")
struct SandboxConversationTests {
    static let conversations = "/conversation/v1/conversations"

    @Test("create twice with the same externalId: same id, latest body kept")
    func createOrUpdate() async throws {
        try await SandboxHarness.with { harness in
            let first = try await harness.send(.POST, Self.conversations, body: Payloads.conversation("conv-1"))
            #expect(first.status == 200)
            let id = try #require(first.json["id"]?.stringValue)
            #expect(CharacterPattern.conversationId.matches(id))
            #expect(id.count == 26)

            let again = try await harness.send(.POST, Self.conversations, body: Payloads.conversation("conv-1", name: "Ana Maria"))
            #expect(again.json["id"]?.stringValue == id)

            let other = try await harness.send(.POST, Self.conversations, body: Payloads.conversation("conv-2"))
            #expect(other.json["id"]?.stringValue != id)

            let recorded = try #require(harness.sandbox.recorder.conversation(externalId: "conv-1"))
            #expect(recorded.id == id)
            #expect(recorded.updateCount == 2)
            #expect(recorded.body?["customer"]?["name"] == .string("Ana Maria"))
            #expect(harness.sandbox.recorder.conversations.map(\.externalId) == ["conv-1", "conv-2"])
        }
    }

    @Test("create refuses a missing customer, a bad timestamp (400-03) and unknown fields")
    func createValidation() async throws {
        try await SandboxHarness.with { harness in
            let noCustomer = try await harness.send(.POST, Self.conversations, body: #"{"externalId":"c","timestamp":"2021-11-23T12:13:14Z"}"#)
            #expect(noCustomer.status == 400)
            #expect(noCustomer.errorCode == "400-02")
            #expect(noCustomer.errorMessage?.hasPrefix("customer:") == true)

            let badTime = try await harness.send(.POST, Self.conversations, body: Payloads.conversation("c", timestamp: "2021-11-23T12:13:14+02:00"))
            #expect(badTime.status == 400)
            #expect(badTime.errorCode == "400-03")
            #expect(badTime.errorMessage?.hasPrefix("timestamp:") == true)

            let unknown = try await harness.send(.POST, Self.conversations,
                                                 body: #"{"externalId":"c","customer":{"externalId":"x"},"timestamp":"2021-11-23T12:13:14Z","channel":"web"}"#)
            #expect(unknown.errorCode == "400-04")
            #expect(harness.sandbox.recorder.conversations.isEmpty)
        }
    }

    @Test("messages: one returns an id, a batch returns {}, stored in arrival order")
    func messages() async throws {
        try await SandboxHarness.with { harness in
            let id = try #require(try await harness.send(.POST, Self.conversations, body: Payloads.conversation("conv-9")).json["id"]?.stringValue)
            let single = try await harness.send(.POST, Endpoint.createMessage.path(conversationId: id), body: Payloads.message("first 😀"))
            #expect(single.status == 200)
            #expect(single.json["id"]?.stringValue.map(CharacterPattern.conversationId.matches) == true)

            let batch = Payloads.batch((2...300).map { Payloads.message("message \($0)", role: $0 % 2 == 0 ? "agent" : "customer") })
            let reply = try await harness.send(.POST, Endpoint.createMessageBatch.path(conversationId: id), body: batch)
            #expect(reply.status == 200)
            #expect(reply.json == .object(JSONObject()))

            let recorded = try #require(harness.sandbox.recorder.conversation(id: id))
            #expect(recorded.messageCount == 300)
            #expect(recorded.messages.first?["text"] == .string("first 😀"))
            let texts = recorded.messages.map { $0["text"]?.stringValue ?? "" }
            #expect(Array(texts.dropFirst()) == (2...300).map { "message \($0)" })
        }
    }

    @Test("a batch of 301 is refused; so is an empty one and a bad message timestamp")
    func batchLimits() async throws {
        try await SandboxHarness.with { harness in
            let id = try #require(try await harness.send(.POST, Self.conversations, body: Payloads.conversation("conv-b")).json["id"]?.stringValue)
            let path = Endpoint.createMessageBatch.path(conversationId: id)
            let tooMany = try await harness.send(.POST, path, body: Payloads.batch(Array(repeating: Payloads.message("x"), count: 301)))
            #expect(tooMany.status == 400)
            #expect(tooMany.errorCode == "400-06")
            #expect(tooMany.errorMessage?.hasPrefix("messages:") == true)

            let empty = try await harness.send(.POST, path, body: Payloads.batch([]))
            #expect(empty.errorCode == "400-06")

            let badTime = try await harness.send(.POST, path, body: Payloads.batch([Payloads.message("a"), Payloads.message("b", timestamp: "2021-11-23")]))
            #expect(badTime.errorCode == "400-03")
            #expect(badTime.errorMessage?.hasPrefix("messages[1].timestamp:") == true)

            let emptyText = try await harness.send(.POST, path, body: Payloads.batch([Payloads.message("")]))
            #expect(emptyText.errorCode == "400-05")
            #expect(harness.sandbox.recorder.acceptedMessageCount == 0)
        }
    }

    @Test("messages to an unknown conversation are 404; an id breaking ^[A-Z0-9]+$ is 400")
    func unknownConversation() async throws {
        try await SandboxHarness.with { harness in
            let unknown = try await harness.send(.POST, Endpoint.createMessageBatch.path(conversationId: "01NOSUCHCONVERSATION"),
                                                 body: Payloads.batch([Payloads.message("x")]))
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "404-01")

            let single = try await harness.send(.POST, Endpoint.createMessage.path(conversationId: "01NOSUCH"), body: Payloads.message("x"))
            #expect(single.status == 404)

            let badID = try await harness.send(.POST, Endpoint.createMessage.path(conversationId: "conv-1"), body: Payloads.message("x"))
            #expect(badID.status == 400)
            #expect(badID.errorCode == "400-07")
        }
    }
}
