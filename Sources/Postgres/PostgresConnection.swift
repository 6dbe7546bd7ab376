internal import CLibPQ
internal import Foundation

/// One PostgreSQL session over libpq.
///
/// The actor runs on a thread the connection owns (see `ThreadExecutor`), so its methods call libpq's
/// blocking functions directly without stalling Swift's cooperative pool. Calls are serialized: one
/// statement at a time, as the protocol requires. Every session runs with `TimeZone=UTC`,
/// `DateStyle=ISO`, `IntervalStyle=iso_8601` and `extra_float_digits=3`, which the decoders rely on.
public actor PostgresConnection {
    private let executor: ThreadExecutor
    private let canceller = PostgresQueryCanceller()
    private var handle: PostgresConnectionHandle?
    /// The statements `query` has prepared under a name, by text and parameter types (see
    /// `keepStatements()`); nil while the connection keeps none.
    private var kept: [KeptStatement: String]?
    /// The statements run once since the connection began keeping them: the next run of one prepares it.
    private var seenOnce: Set<KeptStatement> = []
    /// Names given so far, so that a statement prepared again gets a name no other has had.
    private var nextKeptNumber = 0

    /// The configuration the connection was opened with. Print `redactedConnectionString`, never
    /// `connectionString`.
    public nonisolated let configuration: PostgresConfiguration

    /// The connection's own thread, where every isolated method runs.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    private init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        self.executor = ThreadExecutor(name: "postgres-connection")
    }

    deinit {
        canceller.release()
        executor.retire()
    }

    /// Opens a session as `configuration` says and prepares it (time zone, date style, timeout).
    public static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration)
        try await connection.open()
        return connection
    }

    private func open() throws {
        let configuration = self.configuration
        guard !configuration.connectionString.utf8.contains(0), !configuration.applicationName.utf8.contains(0)
        else {
            throw PostgresError(code: .invalidArgument, message: "the connection settings contain a NUL character")
        }
        var keywords: [String?] = []
        var values: [String?] = []
        if !configuration.connectionString.isEmpty {
            // With expand_dbname, libpq reads this as a whole connection string (URL or keywords); the
            // keywords after it override it, and anything it leaves out comes from PG* variables.
            keywords.append("dbname")
            values.append(configuration.connectionString)
        }
        keywords += ["application_name", "connect_timeout", "client_encoding"]
        values += [configuration.applicationName, String(max(configuration.connectTimeoutSeconds, 0)), "UTF8"]

        let pointer = CStringArray.with(keywords, nullTerminated: true) { keywords in
            CStringArray.with(values, nullTerminated: true) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let pointer else {
            throw PostgresError(code: .connectionFailed, message: "out of memory while connecting")
        }
        let handle = PostgresConnectionHandle(pointer)
        guard PQstatus(pointer) == CONNECTION_OK else {
            var error = PostgresError(
                code: .connectionFailed,
                message: Self.scrub(Self.libpqMessage(pointer), secretsOf: pointer)
            )
            // libpq gives no SQLSTATE for a failed login; these two facts are what it does tell.
            error.credentialsRejected =
                PQconnectionNeedsPassword(pointer) == 1 || PQconnectionUsedPassword(pointer) == 1
            throw error
        }
        self.handle = handle
        canceller.install(connection: pointer)

        // SET rather than the `options` startup parameter: connection poolers such as PgBouncer reject
        // `options`, and a user's own `options` in the connection string stays untouched. Notices (such as
        // "already exists, skipping") would reach standard error through libpq; warnings still do.
        var setup = """
            SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'iso_8601'; \
            SET extra_float_digits TO 3; SET client_min_messages TO warning
            """
        if let timeout = configuration.statementTimeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            setup += "; SET statement_timeout TO \(milliseconds)"
        }
        do {
            try execute(setup)
        } catch {
            close()
            throw error
        }
    }

    /// Closes the session; later calls throw `.connectionClosed`. Closing twice is harmless.
    public func close() {
        canceller.release()
        handle = nil
        executor.retire()
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { handle == nil }

    /// The server's version as a number, e.g. `150004` for 15.4; 0 when closed.
    public var serverVersion: Int { handle.map { Int(PQserverVersion($0.pointer)) } ?? 0 }

    /// The process ID of the server backend serving this session (for `pg_terminate_backend` and logs);
    /// 0 when closed.
    public var backendPID: Int32 { handle.map { PQbackendPID($0.pointer) } ?? 0 }

    /// Whether a transaction block is open (including one that failed and awaits `ROLLBACK`).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle.pointer)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Whether the open transaction has failed and only accepts `ROLLBACK`.
    var isTransactionAborted: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle.pointer) == PQTRANS_INERROR
    }

    /// Asks the server to cancel the statement this connection runs now, from any task.
    ///
    /// The statement fails with `.queryCancelled`. Returns whether the request reached the server; if
    /// nothing was running it has no effect. The request travels on its own short-lived thread, because it
    /// blocks for a network round trip and the connection's thread is busy with the statement.
    @discardableResult
    public nonisolated func cancelCurrentStatement() async -> Bool {
        let canceller = self.canceller
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                continuation.resume(returning: canceller.cancelBlocking(markRequested: true))
            }
            thread.name = "postgres-cancel"
            thread.start()
        }
    }

    /// Runs `body` on the connection in one hop, so a sequence of statements needs no `await` between
    /// them (and no other caller's statement can slip in between).
    public func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    // MARK: - Statements

    /// Runs `sql` with the simple query protocol; it may hold several statements separated by `;`
    /// (migrations, DDL). Takes no parameters: put values in `query` binds instead.
    public func execute(_ sql: String) throws {
        let connection = try beginStatement(sql)
        let result = PQexec(connection, sql)
        _ = try checked(result, query: sql)
    }

    /// Runs one statement with `binds` as `$1`, `$2`, … and returns its whole result.
    public func query(_ sql: String, _ binds: [PostgresBind] = []) throws -> PostgresResult {
        let connection = try beginStatement(sql)
        if kept != nil {
            let key = KeptStatement(sql: sql, types: binds.map(\.type.rawValue))
            do {
                if let result = try runKept(key, binds, connection: connection) { return result }
            } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
                // Gone (deallocated behind the connection's back) or no longer of its result's shape (a
                // table changed under it): prepared again at its next run. Outside a transaction the
                // failure cost nothing, so that run is now; inside one, it aborted the transaction.
                let stale = kept?.removeValue(forKey: key)
                seenOnce.insert(key)
                guard PQtransactionStatus(connection) == PQTRANS_IDLE else { throw error }
                if let stale, error.sqlState == "0A000" {
                    // Still prepared on the server, and of no more use.
                    PQclear(PQexec(connection, "DEALLOCATE \(stale)"))
                }
                if let result = try runKept(key, binds, connection: connection) { return result }
            }
        }
        let result = try withParameters(binds, query: sql) { count, types, values in
            PQexecParams(connection, sql, count, types, values, nil, nil, 0)
        }
        return try checked(result, query: sql)
    }

    /// Has `query` prepare each statement it runs a second time under a name of its own, and run it from
    /// there on: the server neither parses it again nor, once it settles on a generic plan, plans it
    /// again. For a connection that runs the same few statements over and over (the connector's state:
    /// on a transcripts run, a statement per few dozen messages). A statement run only once costs no
    /// extra round trip. At most `maxKeptStatements` are kept; any other statement runs unnamed.
    ///
    /// Named statements last as long as the session, as session-level advisory locks do: a pooler that
    /// hands each transaction to another session (PgBouncer's transaction mode) breaks both alike.
    public func keepStatements() {
        if kept == nil { kept = [:] }
    }

    /// How many statements a connection keeps prepared at most (see `keepStatements()`).
    public static let maxKeptStatements = 64

    /// The number of statements kept prepared now.
    public var keptStatementCount: Int { kept?.count ?? 0 }

    /// Runs `key` from its name, preparing it first if it runs for the second time; nil, running nothing,
    /// when it is not to be kept (yet), or there is no room for it. A statement the server refuses to
    /// prepare throws the error running it would have, and is not kept.
    private func runKept(_ key: KeptStatement, _ binds: [PostgresBind], connection: OpaquePointer) throws -> PostgresResult? {
        guard let name = try keptName(for: key, binds, connection: connection) else { return nil }
        let result = try withParameters(binds, query: key.sql) { count, _, values in
            PQexecPrepared(connection, name, count, values, nil, nil, 0)
        }
        return try checked(result, query: key.sql)
    }

    /// The name `key` is prepared under: the one it has, or a new one when it runs for the second time
    /// and there is room; nil otherwise.
    private func keptName(for key: KeptStatement, _ binds: [PostgresBind], connection: OpaquePointer) throws -> String? {
        if let name = kept?[key] { return name }
        guard let count = kept?.count, count < Self.maxKeptStatements else { return nil }
        guard seenOnce.remove(key) != nil else {
            if seenOnce.count < 4 * Self.maxKeptStatements { seenOnce.insert(key) }
            return nil
        }
        nextKeptNumber += 1
        let name = "asapp_sync_\(nextKeptNumber)"
        let prepared = try withParameters(binds, query: key.sql) { count, types, _ in
            PQprepare(connection, name, key.sql, count, types)
        }
        _ = try checked(prepared, query: key.sql)
        kept?[key] = name
        return name
    }

    /// Runs one statement and hands its rows to `body` one at a time, as they arrive.
    ///
    /// Uses libpq's single-row mode, so memory stays flat however many rows there are. When `body`
    /// throws, the statement is cancelled and the rest of its result discarded, the connection stays
    /// usable and the error is rethrown. When the calling task is cancelled, the same happens and
    /// `CancellationError` is thrown.
    public func forEachRow(
        _ sql: String, _ binds: [PostgresBind] = [], _ body: (PostgresRow) throws -> Void
    ) throws {
        let connection = try beginStatement(sql)
        let sent = try withParameters(binds, query: sql) { count, types, values in
            PQsendQueryParams(connection, sql, count, types, values, nil, nil, 0)
        }
        guard sent == 1 else { throw connectionError(connection, query: sql) }
        PQsetSingleRowMode(connection)

        var columnSet: PostgresColumnSet?
        var failure: (any Error)?
        var abandoned = false
        var rowsSinceCheck = 0
        while let result = PQgetResult(connection) {
            if abandoned || failure != nil {
                PQclear(result)
                continue
            }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                let columns = columnSet ?? PostgresColumnSet(result: result)
                columnSet = columns
                let row = PostgresRow(storage: PostgresResultStorage(result: result, columnSet: columns), row: 0)
                do {
                    rowsSinceCheck += 1
                    if rowsSinceCheck == 512 {
                        rowsSinceCheck = 0
                        try Task.checkCancellation()
                    }
                    try body(row)
                } catch {
                    failure = error
                    abandoned = true
                    // Reading the remaining rows could take as long as the query; stop the server instead.
                    canceller.cancelBlocking(markRequested: false)
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                PQclear(result)
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                PQclear(result)
                failure = unexpected("COPY is not supported here", query: sql)
                abandonCopy(connection)
            default:
                failure = serverError(result, connection: connection, query: sql)
                PQclear(result)
            }
        }
        if let failure { throw failure }
        if PQstatus(connection) != CONNECTION_OK { throw connectionError(connection, query: sql) }
    }

    /// The parameter and result types of `sql`, from preparing it (unnamed) without running it.
    ///
    /// Types the built-in table does not name (`citext`, enums, domains) are named from `pg_type`.
    public func describe(_ sql: String) throws -> PostgresStatementDescription {
        let connection = try beginStatement(sql)
        _ = try checked(PQprepare(connection, "", sql, 0, nil), query: sql)
        let described = try checked(PQdescribePrepared(connection, ""), query: sql)
        let result = described.storage.result

        var parameterTypes: [PostgresType] = []
        for i in 0..<PQnparams(result) { parameterTypes.append(PostgresType(PQparamtype(result, i))) }
        var columns = described.columns

        let unnamed = Set((parameterTypes + columns.map(\.type)).filter { $0.knownName == nil }.map(\.rawValue))
        var names: [UInt32: String] = [:]
        if !unnamed.isEmpty {
            let lookup = try query(
                "SELECT oid::int8, format_type(oid, NULL) FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])",
                [PostgresBind(unnamed.map { String($0) })]
            )
            for row in lookup {
                names[UInt32(try row.decode(Int64.self, at: 0))] = try row.decode(String.self, at: 1)
            }
        }
        for i in columns.indices {
            if let name = names[columns[i].type.rawValue] { columns[i].typeName = name }
        }
        let parameters = parameterTypes.map {
            PostgresStatementDescription.Parameter(type: $0, typeName: names[$0.rawValue] ?? $0.description)
        }
        return PostgresStatementDescription(parameters: parameters, columns: columns)
    }

    // MARK: - Plumbing

    /// The open `PGconn`, after checking the session can take a statement.
    private func beginStatement(_ sql: String) throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection is closed")
        }
        guard PQstatus(handle.pointer) == CONNECTION_OK else {
            throw PostgresError(code: .connectionLost, message: "the connection to the server was lost", query: sql)
        }
        guard !sql.utf8.contains(0) else {
            throw PostgresError(code: .invalidArgument, message: "the query text contains a NUL character", query: sql)
        }
        canceller.beginStatement()
        return handle.pointer
    }

    private func withParameters<R>(
        _ binds: [PostgresBind],
        query: String,
        _ body: (Int32, UnsafePointer<UInt32>, UnsafePointer<UnsafePointer<CChar>?>) throws -> R
    ) throws -> R {
        // The protocol counts parameters in 16 bits.
        guard binds.count <= Int(UInt16.max) else {
            throw PostgresError(code: .invalidArgument, message: "more than 65535 parameters", query: query)
        }
        for (i, bind) in binds.enumerated() where bind.text?.utf8.contains(0) == true {
            // A C string would silently end at the NUL; PostgreSQL text cannot hold one anyway.
            throw PostgresError(
                code: .invalidArgument, message: "parameter $\(i + 1) contains a NUL character", query: query)
        }
        var types = binds.map(\.type.rawValue)
        if types.isEmpty { types.append(0) }
        return try types.withUnsafeBufferPointer { types in
            try CStringArray.with(binds.map(\.text)) { values in
                try body(Int32(binds.count), types.baseAddress!, values)
            }
        }
    }

    /// The result of a completed statement, or the error it reports. Takes ownership of `result`.
    private func checked(_ result: OpaquePointer?, query: String) throws -> PostgresResult {
        let connection = handle!.pointer
        guard let result else { throw connectionError(connection, query: query) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(
                storage: PostgresResultStorage(result: result, columnSet: PostgresColumnSet(result: result)))
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            PQclear(result)
            abandonCopy(connection)
            throw unexpected("COPY is not supported here", query: query)
        default:
            defer { PQclear(result) }
            throw serverError(result, connection: connection, query: query)
        }
    }

    /// Leaves a COPY the wrapper did not ask for, so the session can take statements again.
    private func abandonCopy(_ connection: OpaquePointer) {
        _ = PQputCopyEnd(connection, "COPY is not supported by this client")
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(connection, &buffer, 0) > 0 {
            PQfreemem(buffer)
        }
        while let result = PQgetResult(connection) { PQclear(result) }
    }

    private func serverError(_ result: OpaquePointer, connection: OpaquePointer, query: String) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let sqlState = field(UInt8(ascii: "C"))
        let message = field(UInt8(ascii: "M")) ?? Self.trimmed(String(cString: PQresultErrorMessage(result)))
        var error = PostgresError(
            code: .queryFailed,
            message: message,
            sqlState: sqlState,
            detail: field(UInt8(ascii: "D")),
            hint: field(UInt8(ascii: "H")),
            position: field(UInt8(ascii: "P")).flatMap { Int($0) },
            query: query
        )
        if PQstatus(connection) != CONNECTION_OK {
            error.code = .connectionLost
        } else if sqlState == "57014", canceller.wasRequested {
            error.code = .queryCancelled
        } else if sqlState == nil {
            // libpq's own failures (no SQLSTATE) on a healthy connection are still failures of the query.
            error.code = .queryFailed
        }
        return error
    }

    private func connectionError(_ connection: OpaquePointer, query: String) -> PostgresError {
        let lost = PQstatus(connection) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionLost : .queryFailed,
            message: Self.libpqMessage(connection),
            query: query
        )
    }

    private func unexpected(_ message: String, query: String) -> PostgresError {
        PostgresError(code: .unexpectedResult, message: message, query: query)
    }

    private static func libpqMessage(_ connection: OpaquePointer) -> String {
        trimmed(String(cString: PQerrorMessage(connection)))
    }

    private static func trimmed(_ message: String) -> String {
        var text = Substring(message)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }

    /// `message` with the password libpq used (from the connection string, `PGPASSWORD` or a password
    /// file) masked, should a failure ever echo it.
    private static func scrub(_ message: String, secretsOf connection: OpaquePointer) -> String {
        guard let options = PQconninfo(connection) else { return message }
        defer { PQconninfoFree(options) }
        var scrubbed = message
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                let password = String(cString: value)
                if !password.isEmpty { scrubbed = scrubbed.replacingOccurrences(of: password, with: "***") }
            }
            option += 1
        }
        return scrubbed
    }
}

/// A statement kept prepared: its text and its parameters' types (the types are fixed when it is
/// prepared, so the same text with other types is another statement).
private struct KeptStatement: Hashable {
    var sql: String
    var types: [UInt32]
}
