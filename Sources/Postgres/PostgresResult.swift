internal import CLibPQ
import SyncCore

/// The complete result of a statement: its columns, its rows and what the command reported.
public struct PostgresResult: Sendable, RandomAccessCollection {
    let storage: PostgresResultStorage

    init(storage: PostgresResultStorage) {
        self.storage = storage
    }

    /// The result's columns; empty for statements that return no rows.
    public var columns: [PostgresColumn] { storage.columnSet.columns }

    /// The first row's index, 0.
    public var startIndex: Int { 0 }
    /// One past the last row's index.
    public var endIndex: Int { storage.rowCount }

    /// The row at `index`.
    public subscript(index: Int) -> PostgresRow {
        precondition(indices.contains(index), "row index \(index) out of range")
        return PostgresRow(storage: storage, row: index)
    }

    /// The rows, in order.
    public var rows: [PostgresRow] { Array(self) }

    /// The number of rows the command touched (`INSERT`, `UPDATE`, `DELETE`, `SELECT`, `MERGE`, `COPY`,
    /// …), or `nil` for commands that report none.
    public var affectedRows: Int? {
        let text = String(cString: PQcmdTuples(storage.result))
        return text.isEmpty ? nil : Int(text)
    }

    /// The command tag, e.g. `INSERT 0 3` or `CREATE TABLE`.
    public var commandTag: String { String(cString: PQcmdStatus(storage.result)) }

    /// Every row as a `SourceRow`, all sharing one `SourceColumns`.
    public func sourceRows() throws -> [SourceRow] {
        var rows: [SourceRow] = []
        rows.reserveCapacity(count)
        for row in self { rows.append(try row.sourceRow()) }
        return rows
    }
}
