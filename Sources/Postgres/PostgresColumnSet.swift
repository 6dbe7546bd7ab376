internal import CLibPQ
import SyncCore

/// A result's columns, built once and shared by all its rows (and, when streaming, by every single-row
/// result of one query), with the name lookup and the `SourceColumns` that `SourceRow`s share.
final class PostgresColumnSet: Sendable {
    let columns: [PostgresColumn]
    let sourceColumns: SourceColumns
    /// How each column's cells become `SourceValue`s.
    let decodings: [SourceDecoding]

    init(_ columns: [PostgresColumn]) {
        self.columns = columns
        self.sourceColumns = SourceColumns(columns.map(\.name))
        self.decodings = columns.map { SourceDecoding($0.type) }
    }

    /// The columns of a libpq result.
    convenience init(result: OpaquePointer) {
        let count = PQnfields(result)
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(Int(count))
        for i in 0..<count {
            let table = PQftable(result, i)
            let tableColumn = PQftablecol(result, i)
            columns.append(PostgresColumn(
                name: String(cString: PQfname(result, i)),
                type: PostgresType(PQftype(result, i)),
                typeModifier: PQfmod(result, i),
                tableOID: table == 0 ? nil : table,
                tableColumnNumber: tableColumn == 0 ? nil : Int(tableColumn)
            ))
        }
        self.init(columns)
    }

    /// The position of the first column called `name`.
    func index(of name: String) -> Int? { sourceColumns.index(of: name) }
}
