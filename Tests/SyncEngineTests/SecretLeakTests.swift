import Foundation
import Postgres
import Testing
import TestSupport

/// Secrets given to the CLI never come back out: not on its output, not in the state tables.
@Suite("Secrets never leak")
struct SecretLeakTests {
    /// The role `scripts/pg` makes present a password over TCP; the password is the one the Postgres tests
    /// give it too, so tests running side by side agree on it.
    static let role = "asapp_sync_password_probe"
    static let databasePassword = "the-right-password"
    static let wrongDatabasePassword = "Wr0ng-Db-Pass-9d2e71"
    static let wrongAPISecret = "wrong-api-secret-5c0b3a"

    @Test("sync, a refused sync, a refused database login and rejects list/retry keep every secret to themselves")
    func secretsStayHidden() async throws {
        try await SyncHarness.with { h in
            try await h.insert(1...4, at: "2024-03-01T10:00:00Z", channel: "web")
            try await h.insert(5...6, at: "2024-03-01T10:00:01Z", channel: "fax")
            let database = try #require(try await h.connection.query("SELECT current_database()").first?.decode(String.self, at: 0))
            let port = try #require(try await h.connection.query("SELECT inet_server_port()").first?.decode(Int.self, at: 0))
            try await h.connection.execute("""
                DO $$ BEGIN
                  CREATE ROLE \(Self.role) LOGIN PASSWORD '\(Self.databasePassword)';
                EXCEPTION WHEN duplicate_object THEN
                  ALTER ROLE \(Self.role) LOGIN PASSWORD '\(Self.databasePassword)';
                END $$;
                GRANT CONNECT, CREATE ON DATABASE \(database) TO \(Self.role);
                GRANT USAGE ON SCHEMA public TO \(Self.role);
                GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(Self.role);
                """)
            func url(_ password: String) -> String {
                "postgresql://\(Self.role):\(password)@127.0.0.1:\(port)/\(database)"
            }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("asapp-sync-secrets-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let mapping = dir.appendingPathComponent("m.yaml").path
            try RejectsTests.strict.write(toFile: mapping, atomically: true, encoding: .utf8)
            let fixed = dir.appendingPathComponent("fixed.yaml").path
            try RejectsTests.fixed.write(toFile: fixed, atomically: true, encoding: .utf8)

            let env = ["ASAPP_API_ID": SyncHarness.apiID, "ASAPP_API_SECRET": SyncHarness.apiSecret, "ASAPP_API_BASE_URL": h.sandbox.baseURL]
            var wrongEnv = env
            wrongEnv["ASAPP_API_SECRET"] = Self.wrongAPISecret
            let good = ["--database-url", url(Self.databasePassword)]
            var outputs: [(String, CLI.Output)] = []

            let sync = try await CLI.run(["sync", "--mapping", mapping, "--log-level", "trace"] + good, environment: env)
            #expect(sync.status == 3, "stderr: \(sync.stderr)")
            #expect(h.acceptedIDs.count == 4)
            outputs.append(("sync", sync))

            try await h.insert(7...8, at: "2024-03-01T10:00:02Z", channel: "web")
            let refused = try await CLI.run(["sync", "--mapping", mapping, "--log-level", "trace"] + good, environment: wrongEnv)
            #expect(refused.status == 1)
            #expect((refused.stdout + refused.stderr).contains("forbidden"))
            outputs.append(("sync with a wrong API secret", refused))

            let badLogin = try await CLI.run(["sync", "--mapping", mapping, "--log-level", "trace", "--database-url", url(Self.wrongDatabasePassword)],
                                             environment: env)
            #expect(badLogin.status == 1)
            #expect(badLogin.stderr.contains("password authentication failed"))
            outputs.append(("sync with a wrong database password", badLogin))

            for arguments in [["rejects", "list"], ["rejects", "list", "--json", "--show-payload"], ["rejects", "list", "--show-payload"]] {
                let listed = try await CLI.run(arguments + good, environment: env)
                #expect(listed.status == 0)
                #expect(listed.stdout.contains("platform"))
                outputs.append((arguments.joined(separator: " "), listed))
            }
            // The fixed mapping makes the rejected rows sendable, so the refused credentials are met.
            let retry = try await CLI.run(["rejects", "retry", "--mapping", fixed, "--log-level", "trace"] + good, environment: wrongEnv)
            #expect(retry.status == 1)
            outputs.append(("rejects retry with a wrong API secret", retry))

            let secrets = [SyncHarness.apiSecret, Self.wrongAPISecret, Self.databasePassword, Self.wrongDatabasePassword]
            for (what, output) in outputs {
                #expect(!output.stdout.isEmpty || !output.stderr.isEmpty, "\(what) printed nothing, which proves nothing")
                for secret in secrets {
                    #expect(!output.stdout.contains(secret), "\(what) printed a secret on standard output")
                    #expect(!output.stderr.contains(secret), "\(what) printed a secret on standard error")
                }
            }

            var tableText = ""
            for table in ["runs", "run_streams", "rejects", "checkpoints", "conversations", "message_windows", "message_progress"] {
                let rows = try await h.connection.query("SELECT row_to_json(t)::text FROM asapp_sync.\(table) t")
                for row in rows { tableText += try row.decode(String.self, at: 0) + "\n" }
            }
            #expect(tableText.contains("forbidden"), "the refused run's error should be recorded")
            #expect(tableText.contains("platform"))
            for secret in secrets + [SyncHarness.apiID] {
                #expect(!tableText.contains(secret), "the state tables hold a secret")
            }
        }
    }
}
