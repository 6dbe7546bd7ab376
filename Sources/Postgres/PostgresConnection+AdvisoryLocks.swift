extension PostgresConnection {
    /// Takes the session-level advisory lock `key` if nobody holds it; returns whether it was taken.
    public func tryAdvisoryLock(_ key: Int64) throws -> Bool {
        try query("SELECT pg_catalog.pg_try_advisory_lock($1)", [PostgresBind(key)])[0].decode(Bool.self, at: 0)
    }

    /// Waits until the session-level advisory lock `key` is free, then takes it. Waiting ties up only this
    /// connection's own thread; `statement_timeout` and `cancelCurrentStatement()` end the wait.
    public func advisoryLock(_ key: Int64) throws {
        _ = try query("SELECT pg_catalog.pg_advisory_lock($1)", [PostgresBind(key)])
    }

    /// Releases one hold of the session-level advisory lock `key`; returns whether this session held it.
    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws -> Bool {
        try query("SELECT pg_catalog.pg_advisory_unlock($1)", [PostgresBind(key)])[0].decode(Bool.self, at: 0)
    }

    /// A stable advisory lock key for `name`: the 64-bit FNV-1a hash of its UTF-8 bytes.
    ///
    /// Every process derives the same key from the same name (unlike `Hasher`, which is seeded per
    /// process), so separate runs of the connector agree on which lock guards what.
    public nonisolated static func advisoryLockKey(for name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
