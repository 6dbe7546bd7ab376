import Foundation
import Loader
import Logging
import Mapping
import Postgres
import SandboxServer
import SyncCore
import SyncEngine
import TestSupport

/// A real database with a `conv` table, a real sandbox on a random loopback port, and a runner for them.
struct SyncHarness {
    static let apiID = "harness-id"
    static let apiSecret = "harness-secret-7f3a9c"

    let databaseURL: String
    let sandbox: Sandbox
    let connection: PostgresConnection

    static let mappingText = """
        version: 1
        streams:
          - name: convs
            target: conversation-metadata
            source: { table: public.conv, watermark: updated_at, key: id }
            batch_size: 3
            fields:
              externalConversationId: { column: external_id }
              platform:
                column: channel
                map: { web: WEB, sms: SMS }
                default: null
        """

    /// Runs `body` with a fresh database holding an empty `conv` table and a fresh sandbox.
    static func with(_ body: (SyncHarness) async throws -> Void) async throws {
        try await withTestDatabase { url in
            let sandbox = try await Sandbox.start(SandboxConfiguration(apiID: apiID, apiSecret: apiSecret))
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            do {
                try await connection.execute("""
                    CREATE TABLE public.conv (
                        id          bigint PRIMARY KEY,
                        external_id text NOT NULL,
                        channel     text,
                        updated_at  timestamptz NOT NULL
                    );
                    """)
                try await body(SyncHarness(databaseURL: url, sandbox: sandbox, connection: connection))
            } catch {
                await connection.close()
                try? await sandbox.shutdown()
                throw error
            }
            await connection.close()
            try await sandbox.shutdown()
        }
    }

    /// Has the server end every other client session of the harness's database (a run's source and state
    /// connections); returns how many it ended.
    func endOtherSessions() async throws -> Int {
        try await connection.query("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """)[0].decode(Int.self, at: 0)
    }

    /// Inserts rows `ids`, each stamped `at` (so several rows can share one watermark value).
    func insert(_ ids: some Sequence<Int>, at timestamp: String, channel: String = "web", externalID: ((Int) -> String)? = nil) async throws {
        for id in ids {
            _ = try await connection.query("INSERT INTO public.conv VALUES ($1, $2, $3, $4::timestamptz)",
                                           [PostgresBind(id), PostgresBind(externalID?(id) ?? "conv-\(id)"), PostgresBind(channel), PostgresBind(timestamp)])
        }
    }

    /// A configuration against this harness; `concurrency`, when given, bounds both metadata batches and
    /// transcripts' conversations in flight, as `--concurrency` does.
    func configuration(pageSize: Int = 5000, concurrency: Int? = nil) -> SyncConfiguration {
        var loader = LoaderConfiguration(credentials: APICredentials(id: Self.apiID, secret: Self.apiSecret))
        loader.baseURL = sandbox.baseURL
        loader.initialBackoff = .milliseconds(5)
        var configuration = SyncConfiguration(source: PostgresConfiguration(connectionString: databaseURL), loader: loader)
        configuration.pageSize = pageSize
        if let concurrency {
            configuration.maxInFlightBatches = concurrency
            configuration.smallRequestsInFlight = concurrency
        }
        return configuration
    }

    func sync(mapping text: String = SyncHarness.mappingText, pageSize: Int = 5000, concurrency: Int? = nil) async throws -> SyncReport {
        let mapping = try MappingParser.parse(text, path: "test.yaml")
        return try await SyncRunner(configuration: configuration(pageSize: pageSize, concurrency: concurrency),
                                    logger: Logger(label: "test")).run(mapping: mapping)
    }

    /// The external ids the sandbox accepted, in arrival order (with repeats).
    var acceptedIDs: [String] {
        sandbox.recorder.acceptedItems(.convo).compactMap { $0["externalConversationId"]?.stringValue }
    }

    /// The `eventId` of every accepted item, in arrival order.
    var acceptedEventIDs: [String] {
        sandbox.recorder.acceptedItems(.convo).compactMap { $0["eventId"]?.stringValue }
    }

    func scalar(_ sql: String) async throws -> String? {
        try await connection.query(sql).rows.first?.decode(String?.self, at: 0)
    }
}
