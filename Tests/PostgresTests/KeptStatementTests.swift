import Postgres
import Testing
import TestSupport

@Suite("Statements kept prepared")
struct KeptStatementTests {
    /// The statements this session has prepared under the connection's names.
    func serverNames(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'asapp_sync_%' ORDER BY name")
            .map { try $0.decode(String.self, at: 0) }
    }

    /// Runs `body` with a connection to a fresh database that keeps its statements from the start.
    func withKeepingConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await withTestConnection { connection async throws in
            await connection.keepStatements()
            try await body(connection)
        }
    }

    /// The first column of the first row of `sql` run with `bind`, as an integer.
    func int(_ connection: PostgresConnection, _ sql: String, _ bind: PostgresBind) async throws -> Int {
        try await connection.query(sql, [bind])[0].decode(Int.self, at: 0)
    }

    /// The first column of the first row of `sql` run with `bind`, as text.
    func text(_ connection: PostgresConnection, _ sql: String, _ bind: PostgresBind) async throws -> String {
        try await connection.query(sql, [bind])[0].decode(String.self, at: 0)
    }

    @Test("are kept from their second run, run from their name with new values, and answer as unnamed ones do")
    func sameAnswers() async throws {
        try await withTestConnection { connection async throws in
            try await connection.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
            let unnamed = try await connection.query("SELECT $1::int + 1 AS n, $2::text AS t", [PostgresBind(1), PostgresBind("a")])
            await connection.keepStatements()
            for i in 1...3 {
                let inserted = try await connection.query("INSERT INTO notes (id, body) VALUES ($1, $2)", [PostgresBind(i), PostgresBind("note \(i)")])
                #expect(inserted.affectedRows == 1)
            }
            #expect(await connection.keptStatementCount == 1)
            let first = try await connection.query("SELECT $1::int + 1 AS n, $2::text AS t", [PostgresBind(1), PostgresBind("a")])
            #expect(await connection.keptStatementCount == 1, "a statement run once is not prepared")
            let second = try await connection.query("SELECT $1::int + 1 AS n, $2::text AS t", [PostgresBind(41), PostgresBind(nil)])
            let third = try await connection.query("SELECT $1::int + 1 AS n, $2::text AS t", [PostgresBind(-1), PostgresBind("c")])
            #expect(await connection.keptStatementCount == 2)
            #expect(try first[0].decode(Int.self, column: "n") == unnamed[0].decode(Int.self, column: "n"))
            #expect(try first[0].decode(String.self, column: "t") == "a")
            #expect(try second[0].decode(Int.self, column: "n") == 42)
            #expect(try second[0].decode(String?.self, column: "t") == nil)
            #expect(try third[0].decode(Int.self, column: "n") == 0)
            #expect(try third[0].decode(String.self, column: "t") == "c")
            let notes = try await connection.query("SELECT body FROM notes ORDER BY id")
            #expect(try notes.map { try $0.decode(String.self, at: 0) } == ["note 1", "note 2", "note 3"])
            #expect(try await serverNames(connection).count == 2)
        }
    }

    @Test("the same text with other parameter types is another statement")
    func typesAreTheirOwn() async throws {
        try await withKeepingConnection { connection async throws in
            for _ in 1...2 {
                #expect(try await text(connection, "SELECT pg_typeof($1)::text", PostgresBind(Int64(5))) == "bigint")
                #expect(try await text(connection, "SELECT pg_typeof($1)::text", PostgresBind(Int32(5))) == "integer")
            }
            #expect(await connection.keptStatementCount == 2)
        }
    }

    @Test("a statement the server refuses is not kept, and the connection goes on")
    func refusedIsNotKept() async throws {
        try await withKeepingConnection { connection async throws in
            for _ in 1...3 {
                let error = await #expect(throws: PostgresError.self) {
                    try await connection.query("SELEC $1", [PostgresBind(1)])
                }
                #expect(error?.sqlState == "42601")
            }
            #expect(await connection.keptStatementCount == 0)
            for _ in 1...2 {
                #expect(try await int(connection, "SELECT $1::int", PostgresBind(7)) == 7)
            }
            #expect(await connection.keptStatementCount == 1)
        }
    }

    @Test("outlive a rolled-back transaction, and one first prepared in an aborted transaction is not kept")
    func transactions() async throws {
        try await withKeepingConnection { connection async throws in
            for i in 1...2 {
                #expect(try await int(connection, "SELECT $1::int", PostgresBind(i)) == i)
            }
            _ = try await connection.query("SELECT $1::text", [PostgresBind("once")])
            try await connection.execute("BEGIN")
            #expect(try await int(connection, "SELECT $1::int", PostgresBind(3)) == 3)
            await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1 / $1::int", [PostgresBind(0)]) }
            let aborted = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT $1::text", [PostgresBind("late")])
            }
            #expect(aborted?.sqlState == "25P02")
            try await connection.execute("ROLLBACK")
            #expect(await connection.keptStatementCount == 1)
            #expect(try await int(connection, "SELECT $1::int", PostgresBind(4)) == 4)
            #expect(try await text(connection, "SELECT $1::text", PostgresBind("now")) == "now")
            #expect(try await text(connection, "SELECT $1::text", PostgresBind("again")) == "again")
            #expect(await connection.keptStatementCount == 2)
        }
    }

    @Test("at most maxKeptStatements are kept; the others run unnamed")
    func bounded() async throws {
        try await withKeepingConnection { connection async throws in
            let limit = PostgresConnection.maxKeptStatements
            for round in 1...2 {
                for i in 0..<(limit + 10) {
                    #expect(try await int(connection, "SELECT \(i) + $1::int", PostgresBind(round)) == i + round)
                }
            }
            #expect(await connection.keptStatementCount == limit)
            #expect(try await serverNames(connection).count == limit)
        }
    }

    @Test("a statement deallocated behind the connection's back is prepared again and run")
    func deallocated() async throws {
        try await withKeepingConnection { connection async throws in
            for i in 1...2 {
                #expect(try await int(connection, "SELECT $1::int * 2", PostgresBind(i)) == 2 * i)
            }
            try await connection.execute("DEALLOCATE ALL")
            #expect(try await int(connection, "SELECT $1::int * 2", PostgresBind(3)) == 6)
            #expect(await connection.keptStatementCount == 1)
            // Inside a transaction the failure has aborted it: it is reported, and the next run prepares again.
            try await connection.execute("DEALLOCATE ALL")
            try await connection.execute("BEGIN")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT $1::int * 2", [PostgresBind(4)])
            }
            #expect(error?.sqlState == "26000")
            try await connection.execute("ROLLBACK")
            #expect(try await int(connection, "SELECT $1::int * 2", PostgresBind(5)) == 10)
            #expect(try await serverNames(connection).count == 1)
        }
    }

    @Test("a table changed under a kept statement: it is prepared again for the new shape")
    func tableChanged() async throws {
        try await withTestConnection { connection async throws in
            try await connection.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
            await connection.keepStatements()
            for _ in 1...2 {
                #expect(try await connection.query("SELECT * FROM t WHERE a = $1", [PostgresBind(1)])[0].columns.count == 1)
            }
            #expect(await connection.keptStatementCount == 1)
            try await connection.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'")
            let row = try await connection.query("SELECT * FROM t WHERE a = $1", [PostgresBind(1)])[0]
            #expect(row.columns.count == 2)
            #expect(try row.decode(String.self, column: "b") == "x")
            // The old one is not left behind on the server.
            #expect(try await serverNames(connection).count == 1)
        }
    }
}
