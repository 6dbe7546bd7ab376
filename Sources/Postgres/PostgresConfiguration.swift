/// How to reach a PostgreSQL server and how to set up each session.
public struct PostgresConfiguration: Sendable, Hashable {
    /// A `postgresql://` URL or a keyword string (`host=… dbname=…`). Default: empty, which means libpq's
    /// defaults and the usual `PG*` environment variables (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, …).
    /// May hold a password: never print it; print `redactedConnectionString`.
    public var connectionString: String
    /// The `application_name` the server shows in `pg_stat_activity`; overrides one in the connection
    /// string. Default: `"asapp-sync"`.
    public var applicationName: String
    /// The session's `statement_timeout`. Default: `nil`, the server's setting.
    public var statementTimeout: Duration?
    /// Seconds to wait for a connection before giving up (libpq's `connect_timeout`). Default: `10`.
    public var connectTimeoutSeconds: Int

    /// A configuration for `connectionString`; every other setting takes its documented default.
    public init(
        connectionString: String = "",
        applicationName: String = "asapp-sync",
        statementTimeout: Duration? = nil,
        connectTimeoutSeconds: Int = 10
    ) {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }
}

extension PostgresConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The configuration with its password masked; safe to log.
    public var description: String {
        "PostgresConfiguration(\(redactedConnectionString.isEmpty ? "<libpq defaults>" : redactedConnectionString))"
    }

    /// Same as `description`: the password stays masked even in debug output.
    public var debugDescription: String { description }
}
