import Postgres
import SyncCore
import Testing
import TestSupport

@Suite("Statements, binds and server errors")
struct QueryTests {
    @Test("bound values are data, never SQL", arguments: [
        "'); DROP TABLE notes; --",
        "Robert'); DROP TABLE notes;--",
        "semi;colon \"double\" 'single' \\back $1 $$dollar$$",
        "ünïcödé 🌍 中文",
        "",
    ])
    func bindsAreNotSpliced(value: String) async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
            let inserted = try await connection.query("INSERT INTO notes (body) VALUES ($1)", [PostgresBind(value)])
            #expect(inserted.affectedRows == 1)
            let rows = try await connection.query("SELECT body FROM notes WHERE body = $1", [PostgresBind(value)])
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, column: "body") == value)
            #expect(try await connection.query("SELECT count(*) FROM notes")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test("typed binds read back as the same values")
    func typedBinds() async throws {
        try await withTestConnection { connection in
            let instant = UTCTimestamp(microseconds: 1_709_296_496_123_456)
            let local = LocalTimestamp(microseconds: 1_709_296_496_000_001)
            let day = LocalDate(year: 2024, month: 2, day: 29)
            let row = try await connection.query(
                "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::numeric, $11::jsonb, $12::text",
                [
                    PostgresBind(Int64.max), PostgresBind(true), PostgresBind(0.1 + 0.2), PostgresBind(instant),
                    PostgresBind(local), PostgresBind(day), PostgresBind(Int32(-7)), PostgresBind(Double.infinity),
                    PostgresBind(["a,b", nil, "{c}", "\"q\""]), PostgresBind(SourceValue.decimal("1.10")),
                    PostgresBind(SourceValue.json(#"{"b": 1, "a": [true]}"#)), nil,
                ])[0]
            #expect(try row.decode(Int64.self, at: 0) == .max)
            #expect(try row.decode(Bool.self, at: 1) == true)
            #expect(try row.decode(Double.self, at: 2) == 0.1 + 0.2)
            #expect(try row.decode(UTCTimestamp.self, at: 3) == instant)
            #expect(try row.decode(LocalTimestamp.self, at: 4) == local)
            #expect(try row.decode(LocalDate.self, at: 5) == day)
            #expect(try row.decode(Int32.self, at: 6) == -7)
            #expect(try row.decode(Double.self, at: 7) == .infinity)
            #expect(try row.decode([String?].self, at: 8) == ["a,b", nil, "{c}", "\"q\""])
            #expect(try row.sourceValue(at: 9) == .decimal("1.10"))
            #expect(try row.sourceValue(at: 10) == .json(#"{"a": [true], "b": 1}"#))
            #expect(try row.decode(String?.self, at: 11) == nil)
            #expect(row.columns.map(\.type) == [
                .int8, .bool, .float8, .timestamptz, .timestamp, .date, .int4, .float8, .textArray, .numeric,
                .jsonb, .text,
            ])
        }
    }

    @Test("a NUL character in a parameter is refused before it reaches libpq")
    func nulCharacter() async throws {
        try await withTestConnection { connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT $1::text", [PostgresBind("a\u{0}b")])
            }
            #expect(error?.code == .invalidArgument)
            let stillUsable = try await connection.query("SELECT 1")[0].decode(Int.self, at: 0)
            #expect(stillUsable == 1)
        }
    }

    @Test("a missing table is 42P01 with the server's message; the query stays out of the description")
    func missingTable() async throws {
        try await withTestConnection { connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT * FROM no_such_table WHERE id = $1", [1])
            }
            #expect(error?.code == .queryFailed)
            #expect(error?.sqlState == "42P01")
            #expect(error?.message == #"relation "no_such_table" does not exist"#)
            #expect(error?.position == 15)
            #expect(error?.description.contains("42P01") == true)
            #expect(error?.description.contains("SELECT") == false)
            #expect(error?.debugDescription.contains("SELECT * FROM no_such_table") == true)
            #expect(error?.isRetryable == false)
            #expect(error?.isConnectionLoss == false)
        }
    }

    @Test("a unique violation is 23505; the duplicate value is only in debugDescription")
    func uniqueViolation() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE people (email text PRIMARY KEY); INSERT INTO people VALUES ('ann@example.com')")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO people VALUES ($1)", ["ann@example.com"])
            }
            #expect(error?.sqlState == "23505")
            #expect(error?.message?.contains("people_pkey") == true)
            #expect(error?.detail?.contains("ann@example.com") == true)
            #expect(error?.description.contains("ann@example.com") == false)
            #expect(error?.debugDescription.contains("ann@example.com") == true)
        }
    }

    @Test("execute runs several statements; affectedRows and command tags are reported")
    func executeAndCounts() async throws {
        try await withTestConnection { connection in
            try await connection.execute("""
                CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL);
                INSERT INTO items SELECT g, g FROM generate_series(1, 5) g;
                """)
            let updated = try await connection.query("UPDATE items SET qty = qty + 1 WHERE id > $1", [2])
            #expect(updated.affectedRows == 3)
            #expect(updated.commandTag == "UPDATE 3")
            #expect(updated.columns.isEmpty)
            let created = try await connection.query("CREATE INDEX ON items (qty)")
            #expect(created.affectedRows == nil)
            let selected = try await connection.query("SELECT id FROM items ORDER BY id")
            #expect(selected.affectedRows == 5)
            #expect(try selected.map { try $0.decode(Int.self, at: 0) } == [1, 2, 3, 4, 5])

            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("SELECT 1; SELEC 2")
            }
            #expect(error?.sqlState == "42601")
        }
    }
}
