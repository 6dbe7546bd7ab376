internal import CLibPQ

/// Owns one libpq result and frees it when the last row referring to it is gone.
///
/// A `PGresult` is never modified after libpq hands it over, and libpq documents it as safe to read from
/// any thread, which is what makes sharing it between `Sendable` rows sound.
final class PostgresResultStorage: @unchecked Sendable {
    let result: OpaquePointer
    let columnSet: PostgresColumnSet
    let rowCount: Int

    init(result: OpaquePointer, columnSet: PostgresColumnSet) {
        self.result = result
        self.columnSet = columnSet
        self.rowCount = Int(PQntuples(result))
    }

    deinit { PQclear(result) }

    func isNull(row: Int, column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The cell's text bytes, valid while `self` is alive: callers keep `self` alive for the call.
    func withBytes<R>(
        row: Int, column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R {
        try withExtendedLifetime(self) {
            let length = Int(PQgetlength(result, Int32(row), Int32(column)))
            let pointer = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))!)
            return try body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: length))
        }
    }
}
