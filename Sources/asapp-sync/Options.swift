import ArgumentParser
import Foundation
import Loader
import Logging
import Postgres
import SyncEngine

/// Where the source database is.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("The source database: a postgresql:// URL or a keyword DSN.",
                               discussion: "Default: $ASAPP_SYNC_DATABASE_URL, else libpq's PG* environment variables (PGHOST, PGDATABASE, ...)."))
    var databaseURL: String?

    @Option(name: .customLong("state-database-url"),
            help: "Where checkpoints, runs and rejects are kept. Default: $ASAPP_SYNC_STATE_DATABASE_URL, else the source database.")
    var stateDatabaseURL: String?

    @Option(name: .customLong("state-schema"), help: "The schema of the connector's own tables.")
    var stateSchema: String = "asapp_sync"

    func source(_ env: Environment) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: databaseURL ?? env["ASAPP_SYNC_DATABASE_URL"] ?? "")
    }

    /// A sync configuration from these options: the source (with `statementTimeout`), the state
    /// database and schema, and the API.
    func syncConfiguration(_ env: Environment, api: APIOptions, statementTimeout: String?) throws -> SyncConfiguration {
        var source = self.source(env)
        source.statementTimeout = statementTimeout.flatMap(DurationText.parse)
        var configuration = SyncConfiguration(source: source, loader: try api.loader(env))
        configuration.state = state(env)
        configuration.stateSchema = stateSchema
        configuration.mappingExecutors = EventLoopExecutors.mapping
        return configuration
    }

    func state(_ env: Environment) -> PostgresConfiguration? {
        (stateDatabaseURL ?? env["ASAPP_SYNC_STATE_DATABASE_URL"]).map { PostgresConfiguration(connectionString: $0) }
    }
}

/// How to reach the API.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("api-base-url"),
            help: "The API's base URL. Default: $ASAPP_API_BASE_URL, else https://api.sandbox.asapp.com.")
    var baseURL: String?

    @Option(name: .customLong("ca-bundle"), help: "A PEM file of CA certificates to trust for HTTPS instead of the system's. Default: $ASAPP_API_CA_BUNDLE, else the system's trust store.")
    var caBundle: String?

    @Option(name: .customLong("max-requests-per-second"), help: "The most requests per second sent to each API endpoint. Default: no limit.")
    var maxRequestsPerSecond: Double?

    /// Credentials come only from the environment (or files it names), never from arguments, which other
    /// users of the machine can read in the process list.
    func loader(_ env: Environment) throws -> LoaderConfiguration {
        let id = try env.secret("ASAPP_API_ID")
        let secret = try env.secret("ASAPP_API_SECRET")
        var configuration = LoaderConfiguration(credentials: APICredentials(id: id, secret: secret))
        if let url = baseURL ?? env["ASAPP_API_BASE_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ValidationError("the API base URL must start with http:// or https://")
            }
            configuration.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        configuration.caBundlePath = caBundle ?? env["ASAPP_API_CA_BUNDLE"]
        configuration.maxRequestsPerSecond = maxRequestsPerSecond
        do { try configuration.validate() } catch { throw ValidationError("\(error)") }
        return configuration
    }
}

/// Logging.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func bootstrap() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "asapp-sync")
        logger.logLevel = level
        return logger
    }
}

/// The process environment, with secrets readable from `NAME_FILE` paths (Docker and Kubernetes secrets).
struct Environment {
    var values: [String: String] = ProcessInfo.processInfo.environment

    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// `NAME`, or the contents of the file `NAME_FILE` names (one trailing newline removed).
    func secret(_ name: String) throws -> String {
        if let value = self[name] { return value }
        if let path = self["\(name)_FILE"] {
            guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                throw ValidationError("\(name)_FILE names a file that cannot be read: \(path)")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return text
        }
        throw ValidationError("set \(name) (or \(name)_FILE, a file holding it) in the environment")
    }
}
