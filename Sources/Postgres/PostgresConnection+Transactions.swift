extension PostgresConnection {
    /// Runs `body` in a transaction: `BEGIN`, then `COMMIT` when it returns or `ROLLBACK` when it throws.
    ///
    /// Transactions do not nest: calling this inside an open transaction throws `.invalidState`. If
    /// `body` swallowed a statement error, the transaction is already aborted and `COMMIT` would quietly
    /// roll it back, so that case is rolled back and reported as an error instead.
    public func withTransaction<T: Sendable>(
        isolation: PostgresIsolationLevel? = nil,
        readOnly: Bool = false,
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        if isInTransaction {
            throw PostgresError(code: .invalidState, message: "a transaction is already open on this connection")
        }
        var begin = "BEGIN"
        if let isolation { begin += " ISOLATION LEVEL \(isolation.rawValue)" }
        if readOnly { begin += " READ ONLY" }
        try execute(begin)

        let value: T
        do {
            value = try body(self)
        } catch {
            // The original error matters more than a failed ROLLBACK (e.g. on a lost connection).
            try? execute("ROLLBACK")
            throw error
        }
        if isTransactionAborted {
            try? execute("ROLLBACK")
            throw PostgresError(
                code: .invalidState,
                message: "a statement in the transaction failed, so it was rolled back instead of committed")
        }
        try execute("COMMIT")
        return value
    }
}
