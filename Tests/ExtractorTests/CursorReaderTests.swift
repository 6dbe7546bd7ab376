import Extractor
import Postgres
import SyncCore
import Testing
import TestSupport

@Suite("Extraction: keyset pages and a cursor read the same rows")
struct CursorReaderTests {
    /// 400 conversations whose watermark is computed across a join, with many ties: 20 distinct values.
    static let setup = """
        CREATE TABLE conv (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);
        CREATE TABLE note (conv_id bigint NOT NULL, noted_at timestamptz NOT NULL);
        INSERT INTO conv SELECT g, timestamptz '2024-01-01' + (g % 20) * interval '1 hour' FROM generate_series(1, 400) g;
        INSERT INTO note SELECT g, timestamptz '2024-01-01' + ((g * 7) % 20) * interval '1 hour' FROM generate_series(1, 400) g;
        """
    static let query = WatermarkQuery(
        relationSQL: "(SELECT c.id, greatest(c.updated_at, n.noted_at) AS changed_at FROM conv c JOIN note n ON n.conv_id = c.id)",
        watermark: "changed_at", key: "id")

    static func positions(_ page: ExtractedPage) throws -> [String] {
        try page.rows.map { row in
            let wi = try #require(row.columns.index(of: "changed_at"))
            let ki = try #require(row.columns.index(of: "id"))
            return try #require(row.values[wi].sqlText) + "|" + #require(row.values[ki].sqlText)
        }
    }

    /// Every page of `read` until the last, checking each holds at most `pageSize` rows.
    static func drain(pageSize: Int, _ read: (SyncPosition?) async throws -> ExtractedPage) async throws -> [String] {
        var all: [String] = []
        var position: SyncPosition?
        while true {
            let page = try await read(position)
            #expect(page.rows.count <= pageSize)
            all += try positions(page)
            position = page.end ?? position
            if page.isLast { return all }
        }
    }

    /// Whether the connection is inside a transaction block: SAVEPOINT is refused outside one.
    static func inTransaction(_ connection: PostgresConnection) async -> Bool {
        do {
            try await connection.execute("SAVEPOINT probe")
            try await connection.execute("RELEASE SAVEPOINT probe")
            return true
        } catch {
            return false
        }
    }

    @Test("from the start, from a position, up to a bound and in a window, ties across pages included",
          arguments: [1, 7, 64, 1000])
    func sameRowsSameOrder(pageSize: Int) async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            let extractor = WatermarkExtractor(connection: connection, query: Self.query, pageSize: pageSize)
            let start = SyncPosition(watermark: "2024-01-01 05:00:00+00", key: "217")
            let ranges: [ReadRange] = [.upTo("2024-01-01 17:00:00+00"),
                                       .window(from: "2024-01-01 03:00:00+00", to: "2024-01-01 12:00:00+00")]
            for range in ranges {
                for from in [nil, start] {
                    let keyset = try await Self.drain(pageSize: pageSize) { position in
                        try await extractor.page(after: position ?? from, in: range)
                    }
                    let reader = extractor.cursor(after: from, in: range)
                    let cursor = try await Self.drain(pageSize: pageSize) { _ in try await reader.next() }
                    #expect(!keyset.isEmpty)
                    #expect(cursor == keyset, "\(range) after \(String(describing: from))")
                    #expect(Set(cursor).count == cursor.count)
                    #expect(await !Self.inTransaction(connection), "the transaction outlived the last page")
                    // Reading on after the end gives empty pages.
                    #expect(try await reader.next().rows.isEmpty)
                }
            }
        }
    }

    @Test("the transaction is open only while pages remain, and close() ends it early")
    func transactionLifetime() async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            let extractor = WatermarkExtractor(connection: connection, query: Self.query, pageSize: 50)
            let reader = extractor.cursor(after: nil, in: .upTo("2024-01-02 00:00:00+00"))
            #expect(await !Self.inTransaction(connection))
            let first = try await reader.next()
            #expect(first.rows.count == 50 && !first.isLast)
            #expect(await Self.inTransaction(connection))
            await reader.close()
            #expect(await !Self.inTransaction(connection))
            #expect(try await reader.next().rows.isEmpty)
            await reader.close()
        }
    }

    @Test("a statement that fails mid-read ends the transaction and leaves the connection usable")
    func failureEndsTheTransaction() async throws {
        try await withTestConnection { connection in
            try await connection.execute(Self.setup)
            // The row with id 300 divides by zero: the statement fails inside the open transaction.
            let failing = WatermarkQuery(relationSQL: "(SELECT id, updated_at, 1 / (id - 300) AS boom FROM conv)",
                                         watermark: "updated_at", key: "id")
            let reader = WatermarkExtractor(connection: connection, query: failing, pageSize: 10)
                .cursor(after: nil, in: .upTo("2024-01-02 00:00:00+00"))
            await #expect(throws: PostgresError.self) {
                for _ in 0..<100 { _ = try await reader.next() }
            }
            #expect(await !Self.inTransaction(connection))
            #expect(try await connection.query("SELECT 1").rows.count == 1)
        }
    }
}
