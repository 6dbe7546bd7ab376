import Postgres
import Testing
import TestSupport

struct Abort: Error {}

@Suite("Transactions")
struct TransactionTests {
    func count(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM ledger")[0].decode(Int.self, at: 0)
    }

    @Test("a returning body commits")
    func commit() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            let inserted = try await connection.withTransaction { tx in
                try tx.query("INSERT INTO ledger VALUES (1), (2)").affectedRows ?? 0
            }
            #expect(inserted == 2)
            #expect(try await count(connection) == 2)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("a throwing body rolls back")
    func rollback() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            await #expect(throws: Abort.self) {
                try await connection.withTransaction { tx in
                    _ = try tx.query("INSERT INTO ledger VALUES (1)")
                    if !tx.isInTransaction { Issue.record("the body should run inside the transaction") }
                    throw Abort()
                }
            }
            #expect(try await count(connection) == 0)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("a swallowed statement error is not committed silently")
    func swallowedError() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    _ = try tx.query("INSERT INTO ledger VALUES (1)")
                    _ = try? tx.query("INSERT INTO ledger VALUES (1)")
                }
            }
            #expect(error?.code == .invalidState)
            #expect(try await count(connection) == 0)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("isolation level and read-only are applied; transactions do not nest")
    func options() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            let level = try await connection.withTransaction(isolation: .repeatableRead, readOnly: true) { tx in
                try tx.query("SHOW transaction_isolation")[0].decode(String.self, at: 0)
            }
            #expect(level == "repeatable read")

            let readOnly = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction(readOnly: true) { tx in
                    _ = try tx.query("INSERT INTO ledger VALUES (1)")
                }
            }
            #expect(readOnly?.sqlState == "25006")

            let nested = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try tx.withTransaction { _ in }
                }
            }
            #expect(nested?.code == .invalidState)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("a serialization conflict is classified as retryable")
    func serializationFailure() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let first = try await PostgresConnection.connect(configuration)
            let second = try await PostgresConnection.connect(configuration)
            try await first.execute("CREATE TABLE ledger (id int PRIMARY KEY, n int); INSERT INTO ledger VALUES (1, 0)")
            try await first.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            _ = try await first.query("SELECT n FROM ledger WHERE id = 1")
            _ = try await second.query("UPDATE ledger SET n = n + 1 WHERE id = 1")
            let error = await #expect(throws: PostgresError.self) {
                try await first.query("UPDATE ledger SET n = n + 10 WHERE id = 1")
            }
            #expect(error?.sqlState == "40001")
            #expect(error?.isSerializationFailure == true)
            #expect(error?.isRetryable == true)
            try await first.execute("ROLLBACK")
            await first.close()
            await second.close()
        }
    }
}
