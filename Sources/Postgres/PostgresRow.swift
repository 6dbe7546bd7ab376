import SyncCore

/// One row of a result; cells are read by position or column name and decoded on demand.
public struct PostgresRow: Sendable, RandomAccessCollection {
    let storage: PostgresResultStorage
    let row: Int

    init(storage: PostgresResultStorage, row: Int) {
        self.storage = storage
        self.row = row
    }

    /// The result's columns.
    public var columns: [PostgresColumn] { storage.columnSet.columns }

    /// The first column's index, 0.
    public var startIndex: Int { 0 }
    /// One past the last column's index.
    public var endIndex: Int { storage.columnSet.columns.count }

    /// The cell at `index` (0-based).
    public subscript(index: Int) -> PostgresCell {
        precondition(indices.contains(index), "column index \(index) out of range")
        return PostgresCell(storage: storage, row: row, index: index)
    }

    /// The cell of the first column called `column`, or `nil` when there is none.
    public subscript(column column: String) -> PostgresCell? {
        storage.columnSet.index(of: column).map { self[$0] }
    }

    /// The value of column `column` decoded as `type`; throws when there is no such column.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column: String) throws -> T {
        guard let cell = self[column: column] else {
            var error = PostgresError(code: .decodingFailed, message: "no such column in the result")
            error.column = column
            error.expectedType = String(describing: type)
            throw error
        }
        return try T(postgresCell: cell)
    }

    /// The value at `index` decoded as `type`.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int) throws -> T {
        try T(postgresCell: self[index])
    }

    /// The value at `index` as a `SourceValue`, typed by the column's type.
    public func sourceValue(at index: Int) throws -> SourceValue {
        try self[index].sourceValue()
    }

    /// The whole row as a `SourceRow`; rows of one result share one `SourceColumns`.
    public func sourceRow() throws -> SourceRow {
        var values: [SourceValue] = []
        values.reserveCapacity(count)
        for index in indices { values.append(try self[index].sourceValue()) }
        return SourceRow(columns: storage.columnSet.sourceColumns, values: values)
    }
}
