/// Why a value in PostgreSQL's text output format could not be read; the row decoder adds the column.
struct PostgresTextFormatError: Error, Sendable {
    var reason: String

    init(_ reason: String) { self.reason = reason }
}
