import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Connecting")
struct ConnectionTests {
    /// Host, port, user and database of a live connection, to rebuild its address in other forms.
    struct Address {
        var host: String
        var port: String
        var user: String
        var database: String
    }

    func address(of connection: PostgresConnection) async throws -> Address {
        let row = try await connection.query("""
            SELECT coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)),
                   current_setting('port'), current_user, current_database()
            """)[0]
        return Address(
            host: try row.decode(String.self, at: 0), port: try row.decode(String.self, at: 1),
            user: try row.decode(String.self, at: 2), database: try row.decode(String.self, at: 3))
    }

    @Test("a URL connects and the session is set up for the decoders")
    func urlAndSession() async throws {
        try await withTestDatabase { url in
            let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            let row = try await connection.query("""
                SELECT current_setting('TimeZone'), current_setting('DateStyle'),
                       current_setting('extra_float_digits'), current_setting('application_name'),
                       current_setting('IntervalStyle'), current_database()
                """)[0]
            #expect(try row.decode(String.self, at: 0) == "UTC")
            #expect(try row.decode(String.self, at: 1).hasPrefix("ISO"))
            #expect(try row.decode(String.self, at: 2) == "3")
            #expect(try row.decode(String.self, at: 3) == "asapp-sync")
            #expect(try row.decode(String.self, at: 4) == "iso_8601")
            let database = try row.decode(String.self, at: 5)
            #expect(url.contains(database))
            #expect(await connection.serverVersion >= 100_000)
            #expect(await connection.backendPID > 0)
            #expect(await !connection.isClosed)
            await connection.close()
            #expect(await connection.isClosed)
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
            #expect(error?.code == .connectionClosed)
        }
    }

    @Test("a keyword string connects, and its application_name is overridden by the configuration")
    func keywordString() async throws {
        try await withTestConnection { first in
            let address = try await address(of: first)
            let dsn = "host='\(address.host)' port=\(address.port) user=\(address.user) dbname=\(address.database)"
            let configuration = PostgresConfiguration(connectionString: dsn, applicationName: "keyword-test")
            let second = try await PostgresConnection.connect(configuration)
            let row = try await second.query("SELECT current_database(), current_setting('application_name')")[0]
            #expect(try row.decode(String.self, at: 0) == address.database)
            #expect(try row.decode(String.self, at: 1) == "keyword-test")
            await second.close()
        }
    }

    @Test("an empty connection string uses the PG* environment variables")
    func environment() async throws {
        try await withTestConnection { first in
            let address = try await address(of: first)
            // Process-wide, so the values equal the server's own: concurrent tests that spell out their
            // address are unaffected either way.
            let names = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
            let previous = names.map { ProcessInfo.processInfo.environment[$0] }
            setenv("PGHOST", address.host, 1)
            setenv("PGPORT", address.port, 1)
            setenv("PGUSER", address.user, 1)
            setenv("PGDATABASE", address.database, 1)
            defer {
                for (name, value) in zip(names, previous) {
                    if let value { setenv(name, value, 1) } else { unsetenv(name) }
                }
            }
            let second = try await PostgresConnection.connect(PostgresConfiguration())
            #expect(try await second.query("SELECT current_database()")[0].decode(String.self, at: 0) == address.database)
            await second.close()
        }
    }

    @Test("a refused connection reports connectionFailed without the password")
    func refusedConnection() async throws {
        // Port 1 on loopback: nothing listens there, so this fails at once on any machine.
        let secret = "Sup3r-Secret-Pw"
        let configuration = PostgresConfiguration(
            connectionString: "postgresql://someone:\(secret)@127.0.0.1:1/db", connectTimeoutSeconds: 3)
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(configuration)
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRetryable == true)
        #expect(error?.isAuthenticationFailure == false)
        #expect(error?.description.contains(secret) == false)
        #expect(error?.debugDescription.contains(secret) == false)
        #expect("\(configuration)".contains(secret) == false)
    }

    @Test("a wrong password is rejected and never appears in the error")
    func wrongPassword() async throws {
        try await withTestConnection { admin in
            let address = try await address(of: admin)
            let role = "asapp_sync_password_probe"
            try await admin.execute("""
                DO $$ BEGIN
                  CREATE ROLE \(role) LOGIN PASSWORD 'the-right-password';
                EXCEPTION WHEN duplicate_object THEN
                  ALTER ROLE \(role) LOGIN PASSWORD 'the-right-password';
                END $$
                """)
            let port = address.port
            let wrong = "Wr0ng-Passw0rd-xyz"
            let error = await #expect(throws: PostgresError.self, """
                the server must ask \(role) for a password over TCP (pg_hba.conf); scripts/pg sets this up
                """) {
                _ = try await PostgresConnection.connect(PostgresConfiguration(
                    connectionString: "postgresql://\(role):\(wrong)@127.0.0.1:\(port)/\(address.database)"))
            }
            #expect(error?.code == .connectionFailed)
            #expect(error?.isAuthenticationFailure == true)
            #expect(error?.isRetryable == false)
            #expect(error?.description.contains("password authentication failed") == true)
            #expect(error?.description.contains(wrong) == false)
            #expect(error?.debugDescription.contains(wrong) == false)

            let right = try await PostgresConnection.connect(PostgresConfiguration(
                connectionString: "host=127.0.0.1 port=\(port) user=\(role) password=the-right-password dbname=\(address.database)"))
            #expect(try await right.query("SELECT current_user")[0].decode(String.self, at: 0) == role)
            await right.close()
        }
    }

    @Test("connections release their threads when closed or dropped")
    func noThreadLeak() async throws {
        try await withTestDatabase { url in
            let configuration = PostgresConfiguration(connectionString: url)
            let before = threadCount()
            for i in 0..<150 {
                let connection = try await PostgresConnection.connect(configuration)
                #expect(try await connection.query("SELECT $1::int8", [PostgresBind(i)])[0].decode(Int.self, at: 0) == i)
                if i.isMultiple(of: 2) { await connection.close() }
            }
            // Threads end asynchronously after their last job; give them a moment.
            var after = threadCount()
            for _ in 0..<50 where after > before + 20 {
                try await Task.sleep(for: .milliseconds(20))
                after = threadCount()
            }
            #expect(after <= before + 20, "threads before: \(before), after: \(after)")
        }
    }

    func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }
}
