/// An error from the PostgreSQL wrapper: a stable `code` plus what the server or libpq said.
///
/// `description` is safe to log: it never holds a connection string, a password, the query text or row
/// contents. The query text and the server's detail (which can quote row values, e.g. a duplicate key) are
/// only in `debugDescription`.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as a stable identifier callers can switch on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed
            case connectionClosed
            case connectionLost
            case queryFailed
            case queryCancelled
            case decodingFailed
            case invalidArgument
            case invalidState
            case unexpectedResult
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A connection could not be established (unreachable server, authentication, bad connection string).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection was used after `close()`.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server went away or the socket broke while the connection was in use.
        public static let connectionLost = Code(.connectionLost)
        /// The server rejected a statement; see `sqlState`.
        public static let queryFailed = Code(.queryFailed)
        /// A statement stopped because this client asked for it to be cancelled.
        public static let queryCancelled = Code(.queryCancelled)
        /// A value could not be decoded into the requested Swift type.
        public static let decodingFailed = Code(.decodingFailed)
        /// An argument cannot be sent to PostgreSQL (e.g. a string holding a NUL character).
        public static let invalidArgument = Code(.invalidArgument)
        /// The call does not fit the connection's state (e.g. a transaction inside a transaction).
        public static let invalidState = Code(.invalidState)
        /// libpq returned something the wrapper did not ask for (e.g. a COPY result from `query`).
        public static let unexpectedResult = Code(.unexpectedResult)

        /// The code's name, e.g. `queryFailed`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The five-character SQLSTATE the server sent, when the error came from the server.
    public var sqlState: String?
    /// The server's primary message, or libpq's message for client-side failures.
    public var message: String?
    /// The server's detail line; may quote row values, so it is only in `debugDescription`.
    public var detail: String?
    /// The server's hint line.
    public var hint: String?
    /// The 1-based character position in the query the server points at, when it gave one.
    public var position: Int?
    /// The query text, for `debugDescription` only.
    public var query: String?
    /// For decoding errors: the column's name.
    public var column: String?
    /// For decoding errors: the column's PostgreSQL type name.
    public var columnType: String?
    /// For decoding errors: the Swift type the caller asked for.
    public var expectedType: String?
    /// libpq reports a failed login only as text, so the connect path records what it knows as a fact:
    /// the server demanded a password and none was available, or one was sent and the login still failed.
    var credentialsRejected = false

    /// An error with `code` and optional context; fields not given stay `nil`.
    public init(
        code: Code,
        message: String? = nil,
        sqlState: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        position: Int? = nil,
        query: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.position = position
        self.query = query
    }

    /// Code, SQLSTATE, the server's primary message and hint; never the query, detail or secrets.
    public var description: String {
        var out = "PostgresError(\(code)"
        if let sqlState { out += ", SQLSTATE \(sqlState)" }
        out += ")"
        if code == .decodingFailed, let column {
            out += ": column \"\(column)\""
            if let columnType { out += " of type \(columnType)" }
            if let expectedType { out += " cannot be decoded as \(expectedType)" }
            if let message { out += ": \(message)" }
        } else if let message {
            out += ": \(message)"
        }
        if let hint { out += " (hint: \(hint))" }
        return out
    }

    /// `description` plus the detail, position and query text, for debugging.
    public var debugDescription: String {
        var out = description
        if let detail { out += "\ndetail: \(detail)" }
        if let position { out += "\nposition: \(position)" }
        if let query { out += "\nquery: \(query)" }
        return out
    }
}

extension PostgresError {
    /// The SQLSTATE class (its first two characters), e.g. `"08"` for connection exceptions.
    public var sqlStateClass: String? { sqlState.map { String($0.prefix(2)) } }

    /// Whether the connection is gone: the socket broke, the server shut down or terminated this backend.
    /// The connection cannot be used again; open a new one.
    public var isConnectionLoss: Bool {
        if code == .connectionLost { return true }
        guard let sqlState else { return false }
        // 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown, 57P03 cannot_connect_now.
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// Whether a serializable or repeatable-read transaction lost a conflict (40001).
    public var isSerializationFailure: Bool { sqlState == "40001" }

    /// Whether the server broke a deadlock by aborting this transaction (40P01).
    public var isDeadlock: Bool { sqlState == "40P01" }

    /// Whether the server cancelled the statement without this client asking (57014): almost always
    /// `statement_timeout`; an administrator's `pg_cancel_backend` reads the same on the wire.
    public var isStatementTimeout: Bool { code == .queryFailed && sqlState == "57014" }

    /// Whether a lock wait gave up (55P03, `lock_timeout` or `NOWAIT`).
    public var isLockTimeout: Bool { sqlState == "55P03" }

    /// Whether the server rejected the login: SQLSTATE class 28 (wrong password, unknown role, no
    /// `pg_hba.conf` entry), or a connection that failed after the server asked for a password.
    public var isAuthenticationFailure: Bool { credentialsRejected || sqlStateClass == "28" }

    /// Whether running the same work again, on a new connection if needed, may succeed.
    ///
    /// Connection loss, serialization failures, deadlocks and a server out of connection slots are
    /// transient. A connection that could not be opened counts too (a restarting server looks like that),
    /// unless the server said the credentials were wrong. Timeouts are not: the same statement will
    /// most likely time out again.
    public var isRetryable: Bool {
        if isConnectionLoss || isSerializationFailure || isDeadlock { return true }
        if sqlState == "53300" { return true }  // too_many_connections
        if code == .connectionFailed { return !isAuthenticationFailure }
        return false
    }
}
