import Postgres
import SyncCore
import Testing
import TestSupport

struct StopReading: Error {}

@Suite("Streaming rows")
struct StreamingTests {
    @Test("200 000 rows arrive one by one")
    func manyRows() async throws {
        try await withTestConnection { connection in
            let (count, sum) = try await connection.run { connection in
                var count = 0
                var sum: Int64 = 0
                try connection.forEachRow("SELECT g FROM generate_series(1, $1) g", [200_000]) { row in
                    count += 1
                    sum += try row.decode(Int64.self, at: 0)
                }
                return (count, sum)
            }
            #expect(count == 200_000)
            #expect(sum == 200_000 * 200_001 / 2)
        }
    }

    @Test("a throwing body stops the stream and leaves the connection usable")
    func throwingBody() async throws {
        try await withTestConnection { connection in
            let seen = await connection.run { connection in
                var seen = 0
                #expect(throws: StopReading.self) {
                    try connection.forEachRow("SELECT g FROM generate_series(1, 5000000) g", []) { _ in
                        seen += 1
                        if seen == 10 { throw StopReading() }
                    }
                }
                return seen
            }
            #expect(seen == 10)
            #expect(await !connection.isInTransaction)
            let next = try await connection.query("SELECT 42")[0].decode(Int.self, at: 0)
            #expect(next == 42)
            // And a stream right after works from the start.
            let again = try await connection.run { connection in
                var count = 0
                try connection.forEachRow("SELECT g FROM generate_series(1, 100) g", []) { _ in count += 1 }
                return count
            }
            #expect(again == 100)
        }
    }

    @Test("a server error mid-stream is thrown after the rows before it")
    func errorMidStream() async throws {
        try await withTestConnection { connection in
            let seen = await connection.run { connection in
                var seen = 0
                let error = #expect(throws: PostgresError.self) {
                    try connection.forEachRow("SELECT 1 / (1000 - g) FROM generate_series(1, 2000) g", []) { _ in
                        seen += 1
                    }
                }
                #expect(error?.sqlState == "22012")
                return seen
            }
            #expect(seen == 999)
            let next = try await connection.query("SELECT 1")[0].decode(Int.self, at: 0)
            #expect(next == 1)
        }
    }

    @Test("streamed rows decode like query rows, with shared columns")
    func streamedDecoding() async throws {
        try await withTestConnection { connection in
            let rows = try await connection.run { connection in
                var rows: [SourceRow] = []
                try connection.forEachRow("SELECT g AS n, ARRAY[g::text, NULL] AS a FROM generate_series(1, 3) g", []) {
                    rows.append(try $0.sourceRow())
                }
                return rows
            }
            #expect(rows.count == 3)
            #expect(rows[0].columns === rows[2].columns)
            #expect(rows[2]["a"] == .stringArray(["3", nil]))
        }
    }
}

