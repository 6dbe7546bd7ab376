import Postgres
import Testing
import TestSupport

@Suite("Describing statements without running them")
struct DescribeTests {
    @Test("parameter and column types of a query")
    func query() async throws {
        try await withTestConnection { connection in
            try await connection.execute("""
                CREATE TYPE mood AS ENUM ('happy', 'sad');
                CREATE TABLE conversations (
                    id bigint PRIMARY KEY, external_id varchar(64) NOT NULL, updated_at timestamptz NOT NULL,
                    amount numeric(12, 2), tags text[], feeling mood, payload jsonb
                );
                """)
            let description = try await connection.describe("""
                SELECT id, external_id, updated_at, amount, tags, feeling, payload, now() AS fetched
                FROM conversations WHERE updated_at > $1 AND id > $2 ORDER BY updated_at, id LIMIT $3
                """)
            #expect(description.parameters.map(\.type) == [.timestamptz, .int8, .int8])
            #expect(description.parameters.map(\.typeName) == ["timestamptz", "int8", "int8"])
            #expect(description.columns.map(\.name) == [
                "id", "external_id", "updated_at", "amount", "tags", "feeling", "payload", "fetched",
            ])
            #expect(description.columns.map(\.typeName) == [
                "int8", "varchar", "timestamptz", "numeric", "text[]", "mood", "jsonb", "timestamptz",
            ])
            #expect(description.columns[0].tableOID != nil)
            #expect(description.columns[0].tableColumnNumber == 1)
            #expect(description.columns[7].tableOID == nil)
            #expect(description.columns[1].typeModifier == 64 + 4)  // varchar's modifier counts its header
        }
    }

    @Test("describing an INSERT does not run it")
    func insertIsNotRun() async throws {
        try await withTestConnection { connection in
            try await connection.execute("CREATE TABLE events (id serial PRIMARY KEY, name text NOT NULL)")
            let description = try await connection.describe("INSERT INTO events (name) VALUES ($1) RETURNING id")
            #expect(description.parameters.map(\.type) == [.text])
            #expect(description.columns.map(\.name) == ["id"])
            #expect(description.columns.map(\.type) == [.int4])
            let count = try await connection.query("SELECT count(*) FROM events")[0].decode(Int.self, at: 0)
            #expect(count == 0)
        }
    }

    @Test("an invalid statement fails with the server's SQLSTATE")
    func invalid() async throws {
        try await withTestConnection { connection in
            let missing = await #expect(throws: PostgresError.self) {
                try await connection.describe("SELECT * FROM nowhere")
            }
            #expect(missing?.sqlState == "42P01")
            let twoStatements = await #expect(throws: PostgresError.self) {
                try await connection.describe("SELECT 1; SELECT 2")
            }
            #expect(twoStatements?.sqlState == "42601")
            let ok = try await connection.describe("SELECT 1 AS one")
            #expect(ok.columns.map(\.name) == ["one"])
        }
    }
}
