import APIContract
import Foundation
@testable import Loader
import Logging
import SandboxServer
import SyncCore
import Testing

@Suite("Loader request rate cap")
struct RateLimitTests {
    @Test("N concurrent requests under a cap of R per second take at least (N-1)/R seconds")
    func concurrentRequestsAreSpaced() async throws {
        try await LoaderSandbox.with { sandbox, configuration in
            var configuration = configuration
            let rate = 20.0
            let count = 11
            configuration.maxRequestsPerSecond = rate
            let start = ContinuousClock.now
            let accepted = try await APIClient.withClient(configuration, logger: LoaderSandbox.logger) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<count {
                        group.addTask {
                            try await client.deliverMetadata([LoaderSandbox.conversation("r-\(i)")], entity: .convo, batched: true)
                                .filter(\.accepted).count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let elapsed = LoaderSandbox.seconds(since: start)
            #expect(accepted == count)
            #expect(sandbox.recorder.requestCount(.manyConvoMetadata, status: 200) == count)
            let floor = Double(count - 1) / rate
            #expect(elapsed >= floor - 0.01, "\(count) requests at \(rate)/s took \(elapsed) s, less than \(floor) s")
        }
    }

    @Test("without a cap there is no limiter; with one, its rate is the cap")
    func noCapByDefault() async throws {
        let defaults = LoaderConfiguration(credentials: APICredentials(id: "a", secret: "b"))
        #expect(defaults.maxRequestsPerSecond == nil)
        try await APIClient.withClient(defaults, logger: LoaderSandbox.logger) { client in
            #expect(client.rateLimiter == nil)
        }
        var capped = defaults
        capped.maxRequestsPerSecond = 2.5
        try await APIClient.withClient(capped, logger: LoaderSandbox.logger) { client in
            #expect(client.rateLimiter?.ratePerSecond == 2.5)
        }
    }

    @Test("each endpoint has its own bucket, and retries take tokens too")
    func bucketsArePerEndpoint() async throws {
        let limiter = RequestRateLimiter(ratePerSecond: 5)
        let before = ContinuousClock.now
        var slots = [await limiter.reserve("a")]
        let after = ContinuousClock.now
        for _ in 1..<4 { slots.append(await limiter.reserve("a")) }
        // One endpoint's reservations are 200 ms apart, the first one at once: at the moment it was made.
        #expect(slots[0] >= before && slots[0] <= after)
        for i in 1..<4 { #expect(slots[i] - slots[i - 1] == .milliseconds(200)) }
        // Another endpoint is not held back by the first one's queue.
        let other = await limiter.reserve("b")
        #expect(other < slots[1])

        var faults = SandboxFaults()
        faults.serviceUnavailableRate = 1
        try await LoaderSandbox.with(faults: faults) { sandbox, configuration in
            var configuration = configuration
            configuration.maxRequestsPerSecond = 10
            configuration.maxAttempts = 4
            configuration.initialBackoff = .milliseconds(1)
            configuration.maxBackoff = .milliseconds(1)
            let start = ContinuousClock.now
            await #expect(throws: DeliveryError.self) {
                _ = try await APIClient.withClient(configuration, logger: LoaderSandbox.logger) { client in
                    try await client.deliverMetadata([LoaderSandbox.conversation("x")], entity: .convo, batched: true)
                }
            }
            #expect(sandbox.recorder.requestCount(.manyConvoMetadata, status: 503) == 4)
            #expect(LoaderSandbox.seconds(since: start) >= 0.29)
        }
    }

    @Test("a cap that is not a positive number is refused before anything is sent")
    func invalidCap() {
        for bad in [0.0, -1.0, .infinity, .nan] {
            var configuration = LoaderConfiguration(credentials: APICredentials(id: "a", secret: "b"))
            configuration.maxRequestsPerSecond = bad
            #expect(throws: LoaderConfigurationError.self) { try configuration.validate() }
        }
    }
}
