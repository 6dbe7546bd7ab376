import Postgres
import Testing
import TestSupport

@Suite("Advisory locks")
struct AdvisoryLockTests {
    @Test("a lock held by one session is refused to another until released")
    func exclusive() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let holder = try await PostgresConnection.connect(configuration)
            let other = try await PostgresConnection.connect(configuration)
            let key = PostgresConnection.advisoryLockKey(for: "sync:conversations:\(url)")

            #expect(try await holder.tryAdvisoryLock(key))
            #expect(try await !other.tryAdvisoryLock(key))
            #expect(try await other.tryAdvisoryLock(key &+ 1))
            #expect(try await holder.advisoryUnlock(key))
            #expect(try await !holder.advisoryUnlock(key))
            #expect(try await other.tryAdvisoryLock(key))
            await holder.close()
            await other.close()
        }
    }

    @Test("a blocking lock waits on its own thread until the holder lets go")
    func blocking() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let holder = try await PostgresConnection.connect(configuration)
            let waiter = try await PostgresConnection.connect(configuration)
            let key: Int64 = 42

            #expect(try await holder.tryAdvisoryLock(key))
            let clock = ContinuousClock()
            let start = clock.now
            async let acquired: Void = waiter.advisoryLock(key)
            // The holder keeps working while the waiter blocks: neither the pool nor the holder is stalled.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await holder.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
            #expect(try await holder.advisoryUnlock(key))
            try await acquired
            #expect(clock.now - start >= .milliseconds(300))
            #expect(try await !holder.tryAdvisoryLock(key))
            await holder.close()
            await waiter.close()
        }
    }
}
