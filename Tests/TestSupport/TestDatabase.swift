import Foundation
import Postgres

/// The environment variable holding the admin connection string of the PostgreSQL server tests use.
public let testDatabaseURLVariable = "ASAPP_SYNC_TEST_DATABASE_URL"

/// Why the test database could not be provided.
public struct TestDatabaseError: Error, CustomStringConvertible {
    /// What went wrong, with what to do about it.
    public var description: String
}

/// The admin connection string from `ASAPP_SYNC_TEST_DATABASE_URL`; throws, naming the way to get one,
/// when it is unset, so a test run without a database fails loudly instead of passing vacuously.
public func testAdminConnectionString() throws -> String {
    guard let url = ProcessInfo.processInfo.environment[testDatabaseURLVariable], !url.isEmpty else {
        throw TestDatabaseError(description: """
            \(testDatabaseURLVariable) is not set. These tests need a real PostgreSQL server: run them with \
            scripts/test, or start one with `scripts/pg start DIR` and export its URL as \(testDatabaseURLVariable).
            """)
    }
    return url
}

/// Runs `body` with the connection string of a fresh, empty database and drops the database afterwards,
/// also when `body` throws. Each call gets its own database, so tests can run in parallel.
public func withTestDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
    let admin = try testAdminConnectionString()
    let name = "asapp_sync_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")

    let creator = try await PostgresConnection.connect(PostgresConfiguration(connectionString: admin))
    try await creator.execute("CREATE DATABASE \(name)")
    await creator.close()

    let result: T
    do {
        result = try await body(connectionString(admin, database: name))
    } catch {
        try? await dropDatabase(name, admin: admin)
        throw error
    }
    try await dropDatabase(name, admin: admin)
    return result
}

/// Runs `body` with an open connection to a fresh database (see `withTestDatabase`), closing it after.
public func withTestConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    try await withTestConnection(statementTimeout: nil, body)
}

/// Runs `body` with an open connection to a fresh database whose sessions use `statementTimeout`.
public func withTestConnection<T>(
    statementTimeout: Duration?,
    _ body: (PostgresConnection) async throws -> T
) async throws -> T {
    try await withTestDatabase { url in
        let configuration = PostgresConfiguration(connectionString: url, statementTimeout: statementTimeout)
        let connection = try await PostgresConnection.connect(configuration)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

private func dropDatabase(_ name: String, admin: String) async throws {
    let dropper = try await PostgresConnection.connect(PostgresConfiguration(connectionString: admin))
    // FORCE ends sessions a failed test left open, which would otherwise block the drop.
    try await dropper.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    await dropper.close()
}

/// `connectionString` with its database replaced by `database`, in the same form (URL or keywords).
public func connectionString(_ connectionString: String, database: String) -> String {
    guard let schemeEnd = connectionString.range(of: "://")?.upperBound else {
        // In a keyword string a later keyword overrides an earlier one.
        let separator = connectionString.isEmpty ? "" : " "
        return connectionString + separator + "dbname=\(database)"
    }
    let afterScheme = connectionString[schemeEnd...]
    let queryStart = afterScheme.firstIndex(of: "?") ?? afterScheme.endIndex
    let pathStart = afterScheme[..<queryStart].firstIndex(of: "/") ?? queryStart
    return String(connectionString[..<pathStart]) + "/" + database + afterScheme[queryStart...]
}
