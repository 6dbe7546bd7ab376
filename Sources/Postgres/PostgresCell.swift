/// One value of a row: its column and its text, read lazily from the result.
public struct PostgresCell: Sendable {
    let storage: PostgresResultStorage
    let row: Int
    /// The cell's position in the row.
    public let index: Int

    /// The column this cell belongs to.
    public var column: PostgresColumn { storage.columnSet.columns[index] }

    /// Whether the value is SQL NULL.
    public var isNull: Bool { storage.isNull(row: row, column: index) }

    /// The value in PostgreSQL's text output format, or `nil` for NULL.
    public var text: String? {
        if isNull { return nil }
        return storage.withBytes(row: row, column: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value decoded as `type`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        try T(postgresCell: self)
    }

    /// Runs `body` on the value's UTF-8 text bytes; the buffer is only valid inside `body`.
    /// Throws a decoding error naming the column when the value is NULL.
    public func withUnsafeTextBytes<R>(
        expecting type: Any.Type, _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) throws -> R {
        guard !isNull else { throw decodingError(expecting: type, "unexpected NULL") }
        do {
            return try storage.withBytes(row: row, column: index, body)
        } catch let error as PostgresTextFormatError {
            throw decodingError(expecting: type, error.reason)
        }
    }

    /// A decoding error that names this cell's column and type, the expected Swift type and `reason`.
    public func decodingError(expecting type: Any.Type, _ reason: String) -> PostgresError {
        var error = PostgresError(code: .decodingFailed, message: reason)
        error.column = column.name
        error.columnType = column.typeName
        error.expectedType = String(describing: type)
        return error
    }
}
