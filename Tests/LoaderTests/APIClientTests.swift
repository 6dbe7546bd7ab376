import APIContract
import Foundation
import Loader
import Logging
import SandboxServer
import SyncCore
import Testing

@Suite("Loader against the sandbox over loopback")
struct APIClientTests {
    static let id = "loader-test-id"
    static let secret = "loader-test-secret-value"

    func withSandbox<T: Sendable>(_ body: (Sandbox, LoaderConfiguration) async throws -> T) async throws -> T {
        var sandboxConfiguration = SandboxConfiguration(apiID: Self.id, apiSecret: Self.secret)
        sandboxConfiguration.port = 0
        let sandbox = try await Sandbox.start(sandboxConfiguration)
        var configuration = LoaderConfiguration(credentials: APICredentials(id: Self.id, secret: Self.secret))
        configuration.baseURL = sandbox.baseURL
        configuration.initialBackoff = .milliseconds(5)
        do {
            let result = try await body(sandbox, configuration)
            try await sandbox.shutdown()
            return result
        } catch {
            try? await sandbox.shutdown()
            throw error
        }
    }

    func conversation(_ id: String, platform: String? = nil) -> JSONObject {
        var item = JSONObject()
        item["externalConversationId"] = .string(id)
        item["eventId"] = .string("evt-\(id.isEmpty ? "blank" : id.replacingOccurrences(of: " ", with: "_"))")
        if let platform { item["platform"] = .string(platform) }
        return item
    }

    @Test func batchIsDeliveredAndAcknowledgedItemByItem() async throws {
        try await withSandbox { sandbox, configuration in
            let items = (0..<25).map { conversation("conv-\($0)", platform: "WEB") }
            let results = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { client in
                try await client.deliverMetadata(items, entity: .convo, batched: true)
            }
            #expect(results.count == 25)
            #expect(results.allSatisfy { $0.accepted })
            #expect(results[3].eventID == "evt-conv-3")
            #expect(sandbox.recorder.acceptedItems(.convo).count == 25)
        }
    }

    @Test func partialSuccessIsReadPerItem() async throws {
        try await withSandbox { sandbox, configuration in
            // Items 1 and 3 break the contract on purpose (the mapper would never send them): the sandbox
            // refuses them alone and ingests the rest.
            let items = [conversation("a"), conversation("b c"), conversation("d"), conversation("e", platform: "FAX")]
            let results = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { client in
                try await client.deliverMetadata(items, entity: .convo, batched: true)
            }
            #expect(results.map(\.accepted) == [true, false, true, false])
            #expect(results[1].error?.isEmpty == false)
            #expect(results[3].error?.contains("platform") == true)
            #expect(results.allSatisfy { $0.status == 200 })
            #expect(sandbox.recorder.acceptedItems(.convo).count == 2)
        }
    }

    @Test func wholeBatchRefusedRecordsEachItemsOwnError() async throws {
        try await withSandbox { _, configuration in
            let items = [conversation("x y"), conversation("", platform: "WEB")]
            let results = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { client in
                try await client.deliverMetadata(items, entity: .convo, batched: true)
            }
            #expect(results.allSatisfy { !$0.accepted && $0.status == 400 })
            #expect(results[0].error != results[1].error)
        }
    }

    @Test func singleDeliveryPostsEachItemAlone() async throws {
        try await withSandbox { sandbox, configuration in
            let items = [conversation("s-1"), conversation("s 2"), conversation("s-3")]
            let results = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { client in
                try await client.deliverMetadata(items, entity: .convo, batched: false)
            }
            #expect(results.map(\.accepted) == [true, false, true])
            #expect(sandbox.recorder.acceptedItems(.convo).count == 2)
        }
    }

    @Test func wrongSecretStopsTheRunWithoutLeakingIt() async throws {
        try await withSandbox { _, configuration in
            var wrong = configuration
            wrong.credentials = APICredentials(id: Self.id, secret: "not-the-secret-xyz")
            do {
                _ = try await APIClient.withClient(wrong, logger: Logger(label: "test")) { client in
                    try await client.deliverMetadata([conversation("a")], entity: .convo, batched: true)
                }
                Issue.record("expected a refusal")
            } catch let error as DeliveryError {
                #expect(error.code == .forbidden)
                #expect(error.stopsRun)
                #expect(!"\(error)".contains("not-the-secret-xyz"))
                #expect(!String(reflecting: error).contains("not-the-secret-xyz"))
            }
        }
    }

    @Test func unreachableAPIExhaustsRetries() async throws {
        var configuration = LoaderConfiguration(credentials: APICredentials(id: "a", secret: "b"))
        // Port 1 on loopback: nothing listens there, so every attempt is refused at once.
        configuration.baseURL = "http://127.0.0.1:1"
        configuration.maxAttempts = 3
        configuration.connectTimeout = .milliseconds(300)
        configuration.initialBackoff = .milliseconds(1)
        do {
            _ = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { client in
                try await client.deliverMetadata([conversation("a")], entity: .convo, batched: true)
            }
            Issue.record("expected an error")
        } catch let error as DeliveryError {
            #expect(error.code == .retriesExhausted)
            #expect(error.attempts == 3)
            #expect(!error.stopsRun)
        }
    }

    @Test func credentialsNeverPrint() {
        let credentials = APICredentials(id: "the-id-123", secret: "the-secret-456")
        for text in ["\(credentials)", String(reflecting: credentials)] {
            #expect(!text.contains("the-id-123"))
            #expect(!text.contains("the-secret-456"))
        }
    }

    @Test func healthCheckAnswers() async throws {
        try await withSandbox { _, configuration in
            let healthy = try await APIClient.withClient(configuration, logger: Logger(label: "test")) { try await $0.health() }
            #expect(healthy)
        }
    }
}
