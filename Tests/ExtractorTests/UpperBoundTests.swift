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
}
