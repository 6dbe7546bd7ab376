import Testing

@Suite("Sandbox credentials")
struct SandboxAuthTests {
    @Test("health answers without credentials")
    func health() async throws {
        try await SandboxHarness.with { harness in
            let reply = try await harness.send(.GET, "/v1/health", credentials: nil, contentType: nil)
            #expect(reply.status == 200)
            #expect(reply.json["healthCheck"]?.stringValue == "SUCCESS")
            #expect(try await harness.send(.POST, "/v1/health", body: "{}").status == 405)
        }
    }

    @Test("missing credentials are 401, wrong ones 403, in the error envelope; the secret is never echoed")
    func credentials() async throws {
        try await SandboxHarness.with { harness in
            let path = "/metadata-ingestion/v1/single-agent-metadata"
            let body = #"{"externalAgentId":"a-1"}"#
            let none = try await harness.send(.POST, path, body: body, credentials: nil)
            #expect(none.status == 401)
            #expect(none.errorCode == "401-01")
            #expect(none.json["error"]?["requestId"]?.stringValue?.isEmpty == false)

            let idOnly = try await harness.send(.POST, path, body: body, credentials: (SandboxHarness.apiID, nil))
            #expect(idOnly.status == 401)

            let wrongSecret = "wrong-secret-XYZ"
            let wrong = try await harness.send(.POST, path, body: body, credentials: (SandboxHarness.apiID, wrongSecret))
            #expect(wrong.status == 403)
            #expect(wrong.errorCode == "403-01")
            let text = String(decoding: wrong.bytes, as: UTF8.self)
            #expect(!text.contains(wrongSecret))
            #expect(!text.contains(SandboxHarness.apiSecret))

            let wrongID = try await harness.send(.POST, path, body: body, credentials: ("other-id", SandboxHarness.apiSecret))
            #expect(wrongID.status == 403)

            let ok = try await harness.send(.POST, path, body: body)
            #expect(ok.status == 200)
            #expect(harness.sandbox.recorder.requestCount(.singleAgentMetadata, status: 401) == 2)
            #expect(harness.sandbox.recorder.requestCount(.singleAgentMetadata, status: 403) == 2)
            #expect(harness.sandbox.recorder.acceptedItemCount(.agent) == 1)
        }
    }

    @Test("conversation endpoints require credentials too")
    func conversationCredentials() async throws {
        try await SandboxHarness.with { harness in
            let reply = try await harness.send(.POST, "/conversation/v1/conversations", body: Payloads.conversation("c"), credentials: nil)
            #expect(reply.status == 401)
            #expect(harness.sandbox.recorder.conversations.isEmpty)
        }
    }
}
