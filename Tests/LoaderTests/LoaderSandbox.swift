import Foundation
import Loader
import Logging
import SandboxServer
import SyncCore

/// A sandbox on a random loopback port and a loader configuration pointing at it, with quick backoff.
enum LoaderSandbox {
    static let id = "loader-fault-id"
    static let secret = "loader-fault-secret-5be1"

    static func with<T: Sendable>(faults: SandboxFaults = SandboxFaults(),
                                  _ body: (Sandbox, LoaderConfiguration) async throws -> T) async throws -> T {
        var sandboxConfiguration = SandboxConfiguration(apiID: id, apiSecret: secret)
        sandboxConfiguration.faults = faults
        let sandbox = try await Sandbox.start(sandboxConfiguration)
        var configuration = LoaderConfiguration(credentials: APICredentials(id: id, secret: secret))
        configuration.baseURL = sandbox.baseURL
        configuration.initialBackoff = .milliseconds(2)
        configuration.maxBackoff = .milliseconds(50)
        do {
            let result = try await body(sandbox, configuration)
            try await sandbox.shutdown()
            return result
        } catch {
            try? await sandbox.shutdown()
            throw error
        }
    }

    static func conversation(_ id: String) -> JSONObject {
        var item = JSONObject()
        item["externalConversationId"] = .string(id)
        item["eventId"] = .string("evt-\(id)")
        return item
    }

    static let logger = Logger(label: "loader-test")

    /// Seconds since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
