import Postgres
import Testing
import TestSupport

@Suite("Lost connections, timeouts and cancellation")
struct ConnectionLossTests {
    @Test("a terminated backend surfaces as a retryable connection loss")
    func terminated() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let victim = try await PostgresConnection.connect(configuration)
            let admin = try await PostgresConnection.connect(configuration)
            let pid = await victim.backendPID
            let killed = try await admin.query("SELECT pg_terminate_backend($1::int4)", [PostgresBind(pid)])
            #expect(try killed[0].decode(Bool.self, at: 0))

            let error = await #expect(throws: PostgresError.self) {
                try await victim.query("SELECT 1")
            }
            #expect(error?.isConnectionLoss == true)
            #expect(error?.isRetryable == true)
            #expect(error?.code == .connectionLost)

            let again = await #expect(throws: PostgresError.self) { try await victim.execute("SELECT 1") }
            #expect(again?.isConnectionLoss == true)
            await victim.close()
            await admin.close()
        }
    }

    @Test("a backend terminated while streaming surfaces as a connection loss")
    func terminatedWhileStreaming() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let victim = try await PostgresConnection.connect(configuration)
            let admin = try await PostgresConnection.connect(configuration)
            let pid = await victim.backendPID
            async let streamed: Int = victim.run { connection in
                var count = 0
                do {
                    try connection.forEachRow("SELECT pg_sleep(0.001) FROM generate_series(1, 100000)", []) { _ in
                        count += 1
                    }
                } catch let error as PostgresError {
                    #expect(error.isConnectionLoss)
                    return count
                } catch {
                    Issue.record("unexpected error \(error)")
                }
                return -1
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await admin.query("SELECT pg_terminate_backend($1::int4)", [PostgresBind(pid)])
            let count = await streamed
            #expect(count >= 0 && count < 100_000)
            await admin.close()
        }
    }

    @Test("statement_timeout is classified as a timeout, not a connection loss")
    func statementTimeout() async throws {
        // A second, not less: on a loaded machine the statements around the sleep must not hit it too.
        try await withTestConnection(statementTimeout: .seconds(1)) { connection in
            let setting = try await connection.query("SHOW statement_timeout")[0].decode(String.self, at: 0)
            #expect(setting == "1s")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT pg_sleep(30)")
            }
            #expect(error?.sqlState == "57014")
            #expect(error?.isStatementTimeout == true)
            #expect(error?.isConnectionLoss == false)
            #expect(error?.isRetryable == false)
            let next = try await connection.query("SELECT 1")[0].decode(Int.self, at: 0)
            #expect(next == 1)
        }
    }

    @Test("cancelCurrentStatement stops a running statement from another task")
    func cancel() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let connection = try await PostgresConnection.connect(configuration)
            let observer = try await PostgresConnection.connect(configuration)
            let pid = await connection.backendPID
            let clock = ContinuousClock()
            let start = clock.now
            async let sleeping: PostgresError? = {
                do {
                    _ = try await connection.query("SELECT pg_sleep(30)")
                    return nil
                } catch let error as PostgresError {
                    return error
                } catch {
                    return nil
                }
            }()
            // Cancel once the server runs the statement (a loaded machine may take a while to start it):
            // a cancel that arrives before it would have nothing to stop.
            for _ in 0..<1000 {
                let running = try await observer.query(
                    "SELECT count(*)::int FROM pg_stat_activity WHERE pid = $1::int4 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'",
                    [PostgresBind(pid)])
                if try running[0].decode(Int.self, at: 0) == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(await connection.cancelCurrentStatement())
            let error = await sleeping
            #expect(error?.code == .queryCancelled)
            #expect(error?.sqlState == "57014")
            #expect(error?.isStatementTimeout == false)
            #expect(clock.now - start < .seconds(10))
            let next = try await connection.query("SELECT 1")[0].decode(Int.self, at: 0)
            #expect(next == 1)
            await observer.close()
            await connection.close()
        }
    }
}
