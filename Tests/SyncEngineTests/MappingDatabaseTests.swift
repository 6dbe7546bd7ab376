import DemoData
import Foundation
import Mapping
import Postgres
import SandboxServer
import SyncCore
import SyncEngine
import Testing
import TestSupport

/// The repository's `mappings/` folder.
private let mappingsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("mappings")

@Suite("Mapping files against the demo database: validate and preview")
struct MappingDatabaseTests {
    /// A database with the demo contact-center data at scale 1.
    func withDemoDatabase(_ body: (String) async throws -> Void) async throws {
        try await withTestDatabase { url in
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            try await connection.execute(DemoDatabase.schemaSQL)
            try await connection.execute(DemoDatabase.seedSQL(scale: 1))
            await connection.close()
            try await body(url)
        }
    }

    var exampleFiles: [String] {
        get throws {
            let enumerator = FileManager.default.enumerator(atPath: mappingsFolder.path)
            var files: [String] = []
            while let path = enumerator?.nextObject() as? String {
                if path.hasSuffix(".yaml") { files.append(mappingsFolder.appendingPathComponent(path).path) }
            }
            return files.sorted()
        }
    }

    @Test func everyExampleMappingPassesValidateAgainstTheDemoDatabase() async throws {
        let files = try exampleFiles
        #expect(files.count >= 3)
        try await withDemoDatabase { url in
            let result = try await CLI.run(["validate", "--database-url", url] + files)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.components(separatedBy: "columns checked against the database").count - 1 == files.count)
        }
    }

    @Test func validateWarnsWhenEveryKeysetPageWouldSortTheWholeSource() async throws {
        try await withTestDatabase { url in
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            try await connection.execute("""
                CREATE TABLE public.big (id bigint PRIMARY KEY, external_id text NOT NULL, updated_at timestamptz NOT NULL);
                INSERT INTO public.big SELECT g, 'c-' || g, timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, 30000) g;
                ANALYZE public.big;
                """)
            func validate(read: String?) async throws -> CLI.Output {
                let text = """
                    version: 1
                    streams:
                      - name: big
                        target: conversation-metadata
                        source:
                          table: public.big
                          watermark: updated_at
                          key: id\(read.map { "\n      read: \($0)" } ?? "")
                        fields:
                          externalConversationId: { column: external_id }
                    """
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).yaml").path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                return try await CLI.run(["validate", "--database-url", url, path])
            }
            let unindexed = try await validate(read: nil)
            #expect(unindexed.status == 0)
            #expect(unindexed.stderr.contains(":7:18: warning: every keyset page of stream big sorts its whole source (about 30000 rows)"),
                    "\(unindexed.stderr)")
            #expect(unindexed.stderr.contains("read: cursor"))
            #expect(try await !validate(read: "cursor").stderr.contains("sorted-pages"))
            try await connection.execute("CREATE INDEX ON public.big (updated_at, id); ANALYZE public.big")
            let indexed = try await validate(read: nil)
            #expect(indexed.status == 0)
            #expect(!indexed.stderr.contains("sorted-pages"), "\(indexed.stderr)")
            await connection.close()
        }
    }

    @Test func validateWithADatabaseCatchesAMisspeltColumn() async throws {
        try await withDemoDatabase { url in
            let text = try String(contentsOf: mappingsFolder.appendingPathComponent("demo.yaml"), encoding: .utf8)
            let bad = text.replacingOccurrences(of: "column: browser_version", with: "column: browser_verison")
            #expect(bad != text)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            let line = bad.components(separatedBy: "\n").firstIndex { $0.contains("browser_verison") }! + 1
            let result = try await CLI.run(["validate", "--database-url", url, path])
            #expect(result.status == 65)
            #expect(result.stderr.contains("\(path):\(line):"))
            #expect(result.stderr.contains("'browser_verison' is not in stream conversation-metadata's source"))
            #expect(result.stderr.contains("did you mean 'browser_version'?"))
        }
    }

    @Test func previewPrintsExactlyWhatTheSandboxThenReceives() async throws {
        try await withDemoDatabase { url in
            let sandbox = try await Sandbox.start(SandboxConfiguration(apiID: "p-id", apiSecret: "p-secret"))
            let mapping = mappingsFolder.appendingPathComponent("demo.yaml").path
            let preview = try await CLI.run(["preview", "--mapping", mapping, "--stream", "conversation-metadata", "--limit", "100",
                                             "--format", "jsonl", "--database-url", url])
            #expect(preview.status == 0)
            let previewed = try preview.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
            #expect(previewed.count > 50)
            // Preview wrote nothing: no state schema exists yet.
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            #expect(try await connection.query("SELECT to_regclass('asapp_sync.checkpoints') IS NULL")[0].decode(Bool.self, at: 0))
            await connection.close()

            let sync = try await CLI.run(["sync", "--mapping", mapping, "--stream", "conversation-metadata", "--database-url", url],
                                         environment: ["ASAPP_API_ID": "p-id", "ASAPP_API_SECRET": "p-secret", "ASAPP_API_BASE_URL": sandbox.baseURL])
            #expect(sync.status == 0 || sync.status == 3)
            #expect(sandbox.recorder.acceptedItems(.convo) == previewed)
            try await sandbox.shutdown()
        }
    }
}
