import Extractor
import Postgres
import SyncCore
import Testing
import TestSupport

@Suite("Extraction: the run's upper bound")
struct UpperBoundTests {
    /// 10,000 conversations with a lookup table joined in, as source queries usually are; one in 100 has
    /// no watermark yet.
    static let setup = """
        CREATE TABLE queue (id int PRIMARY KEY, code text NOT NULL);
        CREATE TABLE conv (id bigint PRIMARY KEY, queue_id int REFERENCES queue, updated_at timestamptz, seq bigint);
        CREATE INDEX ON conv (updated_at, id);
        INSERT INTO queue SELECT g, 'q' || g FROM generate_series(1, 10) g;
        INSERT INTO conv SELECT g, 1 + g % 10,
                                CASE WHEN g % 100 = 0 THEN NULL ELSE timestamptz '2024-01-01' + (g % 997) * interval '1 minute' END,
                                CASE WHEN g % 100 = 0 THEN NULL ELSE (g * 7919) % 100003 END
        FROM generate_series(1, 10000) g;
        ANALYZE conv; ANALYZE queue;
        """
    static let joined = "(SELECT c.id, c.updated_at, c.seq, q.code FROM conv c LEFT JOIN queue q ON q.id = c.queue_id)"

    @Test("is max() of the watermark, NULLs left out, for timestamps and integers; no bound for no rows")
    func highestValue() async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            for watermark in ["updated_at", "seq"] {
                let expected = try await connection.query("SELECT max(\(watermark))::text FROM conv")[0].decode(String.self, at: 0)
                let extractor = WatermarkExtractor(connection: connection, query: WatermarkQuery(relationSQL: Self.joined, watermark: watermark, key: "id"))
                let bound = try #require(try await extractor.upperBound())
                let same = try await connection.query("SELECT $1::\(watermark == "seq" ? "bigint" : "timestamptz") = $2::\(watermark == "seq" ? "bigint" : "timestamptz")",
                                                      [PostgresBind(bound), PostgresBind(expected)])[0].decode(Bool.self, at: 0)
                #expect(same, "\(watermark): \(bound) against max() \(expected)")
            }
            try await connection.execute("UPDATE conv SET updated_at = NULL")
            let extractor = WatermarkExtractor(connection: connection, query: WatermarkQuery(relationSQL: Self.joined, watermark: "updated_at", key: "id"))
            #expect(try await extractor.upperBound() == nil, "only NULL watermarks: nothing to read")
            try await connection.execute("DELETE FROM conv")
            #expect(try await extractor.upperBound() == nil, "no rows: nothing to read")
        }
    }

    @Test("comes from the watermark's index through a join, not from a scan of every row")
    func indexed() async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            let query = WatermarkQuery(relationSQL: Self.joined, watermark: "updated_at", key: "id")
            let plan = try await connection.query("EXPLAIN " + query.upperBoundSQL).rows
                .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            #expect(plan.contains("Index Scan Backward") || plan.contains("Index Only Scan Backward"), "\(plan)")
            #expect(!plan.contains("Seq Scan on conv"), "\(plan)")
        }
    }

    /// A watermark computed across the join, as a cursor-read stream has; reading the row with `id` 5,000
    /// divides by zero, so a bound that reads rows fails.
    static let computed = """
        (SELECT c.id, greatest(c.updated_at, timestamptz '2024-01-01' + q.id * interval '1 second') AS changed_at, c.seq
         FROM conv c JOIN queue q ON q.id = c.queue_id WHERE 1 / (c.id - 5000) <> 0)
        """

    @Test("for a timestamptz watermark no index serves, is had without reading a row, at or above max() and not past now()")
    func withoutTheHighest() async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            let extractor = WatermarkExtractor(connection: connection, query: WatermarkQuery(relationSQL: Self.computed, watermark: "changed_at", key: "id"))
            await #expect(throws: PostgresError.self, "looking for the highest reads the rows") {
                try await extractor.upperBound(policy: BoundPolicy())
            }
            let bound = try await extractor.upperBound(policy: BoundPolicy(), findHighest: false)
            let value = try #require(bound.value)
            #expect(bound.highest == nil)
            #expect(!bound.heldByTransaction)
            let placed = try await connection.query("""
                SELECT $1::timestamptz >= (SELECT max(greatest(c.updated_at, timestamptz '2024-01-01' + q.id * interval '1 second'))
                                           FROM conv c JOIN queue q ON q.id = c.queue_id),
                       $1::timestamptz <= now(), $1::timestamptz > now() - interval '1 minute'
                """, [PostgresBind(value)])[0]
            #expect(try placed.decode(Bool.self, at: 0), "\(value) is below the highest watermark present")
            #expect(try placed.decode(Bool.self, at: 1), "\(value) is past now(): rows stamped later would be passed over")
            #expect(try placed.decode(Bool.self, at: 2), "\(value) is not the ceiling of now()")

            // The lag still holds it back.
            let lagged = try #require(try await extractor.upperBound(policy: BoundPolicy(lag: .seconds(3600)), findHighest: false).value)
            #expect(try await connection.query("SELECT $1::timestamptz < now() - interval '59 minutes'", [PostgresBind(lagged)])[0].decode(Bool.self, at: 0))

            // An integer watermark has no ceiling: it still gets the highest value present.
            let integer = WatermarkExtractor(connection: connection, query: WatermarkQuery(relationSQL: Self.joined, watermark: "seq", key: "id"))
            let expected = try await connection.query("SELECT max(seq)::text FROM conv")[0].decode(String.self, at: 0)
            #expect(try await integer.upperBound(policy: BoundPolicy(), findHighest: false).value == expected)
        }
    }
}
