import NIOHTTP1
import SandboxServer
import SyncCore
import Testing

@Suite("Sandbox faults switched at runtime")
struct SandboxFaultControlTests {
    static let path = "/metadata-ingestion/v1/single-agent-metadata"
    static let item = #"{"externalAgentId":"a"}"#

    @Test("POST /sandbox/v1/faults changes the named faults, GET shows them, and faults stop when cleared")
    func faultsOverHTTP() async throws {
        try await SandboxHarness.with { harness in
            let initial = try await harness.send(.GET, "/sandbox/v1/faults", credentials: nil, contentType: nil)
            #expect(initial.status == 200)
            #expect(initial.json["internalErrorRate"] == .double(0))
            #expect(initial.json["maxBodyBytes"] == .null)

            let set = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"internalErrorRate":1,"latencyMs":20}"#, credentials: nil)
            #expect(set.status == 200)
            #expect(set.json["internalErrorRate"] == .double(1))
            #expect(set.json["latencyMs"] == .int(20))
            #expect(harness.sandbox.faults.internalErrorRate == 1)
            #expect(harness.sandbox.faults.latency == .milliseconds(20))

            let failed = try await harness.send(.POST, Self.path, body: Self.item)
            #expect(failed.status == 500)
            #expect(failed.errorCode == "500-01")

            // Members left out keep their value; this one clears the 500s and keeps the latency.
            let cleared = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"internalErrorRate":0}"#, credentials: nil)
            #expect(cleared.json["latencyMs"] == .int(20))
            #expect(try await harness.send(.POST, Self.path, body: Self.item).status == 200)
            #expect(harness.sandbox.recorder.requestCount(.singleAgentMetadata, status: 500) == 1)
            #expect(harness.sandbox.recorder.requestCount(.singleAgentMetadata, status: 200) == 1)
        }
    }

    @Test("bad fault settings are refused and change nothing", arguments: [
        #"{"tooManyRequestsRate":1.5}"#, #"{"noSuchFault":1}"#, #"{"tooManyRequestsRate":0.6,"serviceUnavailableRate":0.6}"#,
        #"{"latencyMs":-1}"#, #"{"maxBodyBytes":0}"#, #"{"maxConcurrentRequests":0}"#, #"{"maxConcurrentRequests":1.5}"#, #"[1]"#,
    ])
    func badSettings(_ body: String) async throws {
        try await SandboxHarness.with { harness in
            let reply = try await harness.send(.POST, "/sandbox/v1/faults", body: body, credentials: nil)
            #expect(reply.status == 400)
            #expect(reply.errorMessage?.isEmpty == false)
            #expect(harness.sandbox.faults == SandboxFaults())
        }
    }

    @Test("a runtime body limit answers 413 above it and serves smaller bodies")
    func bodyLimitFault() async throws {
        try await SandboxHarness.with { harness in
            _ = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"maxBodyBytes":100}"#, credentials: nil)
            let many = Payloads.items((0..<5).map { Payloads.convoItem("conversation-\($0)") })
            let refused = try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata", body: many)
            #expect(refused.status == 413)
            #expect(refused.errorCode == "413-01")
            let one = Payloads.items([Payloads.convoItem("c-1")])
            #expect(try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata", body: one).status == 200)
            #expect(harness.sandbox.recorder.acceptedItemCount(.convo) == 1)
            _ = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"maxBodyBytes":null}"#, credentials: nil)
            #expect(try await harness.send(.POST, "/metadata-ingestion/v1/many-convo-metadata", body: many).status == 200)
        }
    }

    @Test("a capacity answers 429 with Retry-After to requests beyond it while the ones it took are being answered, and takes more once they are")
    func capacityFault() async throws {
        try await SandboxHarness.with { harness in
            let set = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"maxConcurrentRequests":3,"latencyMs":5000,"retryAfterSeconds":2}"#,
                                             credentials: nil)
            #expect(set.json["maxConcurrentRequests"] == .int(3))
            // Three taken, each answered 5 s later; they are counted when taken.
            let held = (0..<3).map { _ in Task { try await harness.send(.POST, Self.path, body: Self.item) } }
            let recorder = harness.sandbox.recorder
            for _ in 0..<1000 where recorder.requestCount(.singleAgentMetadata, status: 200) < 3 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(recorder.requestCount(.singleAgentMetadata, status: 200) == 3)
            // While they wait, every other request is refused, at once (the latency is now zero).
            var faults = harness.sandbox.faults
            faults.latency = .zero
            harness.sandbox.faults = faults
            for _ in 0..<5 {
                let refused = try await harness.send(.POST, Self.path, body: Self.item)
                #expect(refused.status == 429)
                #expect(refused.errorCode == "429-01")
                #expect(refused.headers.first(name: "retry-after") == "2")
                #expect(refused.errorMessage?.contains("at most 3") == true)
            }
            for task in held { #expect(try await task.value.status == 200) }
            #expect(recorder.acceptedItemCount(.agent) == 3)
            // Their places were given back with their answers.
            for _ in 0..<3 { #expect(try await harness.send(.POST, Self.path, body: Self.item).status == 200) }
            #expect(recorder.requestCount(.singleAgentMetadata, status: 429) == 5)
            _ = try await harness.send(.POST, "/sandbox/v1/faults", body: #"{"maxConcurrentRequests":null,"retryAfterSeconds":1}"#, credentials: nil)
            #expect(harness.sandbox.faults == SandboxFaults())
        }
    }

    @Test("the same seed gives the same faults for the same requests")
    func seededFaultsRepeat() async throws {
        func statuses() async throws -> [Int] {
            try await SandboxHarness.with { harness in
                var faults = SandboxFaults()
                faults.tooManyRequestsRate = 0.3
                faults.serviceUnavailableRate = 0.2
                faults.internalErrorRate = 0.2
                faults.seed = 7
                harness.sandbox.faults = faults
                var out: [Int] = []
                for _ in 0..<30 { out.append(try await harness.send(.POST, Self.path, body: Self.item).status) }
                return out
            }
        }
        let first = try await statuses()
        #expect(try await statuses() == first)
        #expect(Set(first).isSuperset(of: [200, 429, 503, 500]))
    }
}
