/// One column of a result or of a described statement.
public struct PostgresColumn: Sendable, Hashable {
    /// The column's name as the query labels it.
    public var name: String
    /// The column's type.
    public var type: PostgresType
    /// The type's name: built-in names for common types, the catalog's name from `describe`, otherwise
    /// `oid NNN`.
    public var typeName: String
    /// The type modifier (e.g. a `varchar`'s length or a `numeric`'s precision and scale); -1 when none.
    public var typeModifier: Int32
    /// The OID of the table the column comes from, when it is a plain table column.
    public var tableOID: UInt32?
    /// The column's attribute number within that table (1-based).
    public var tableColumnNumber: Int?

    /// A column description; usually built by the wrapper from a result.
    public init(
        name: String,
        type: PostgresType,
        typeName: String? = nil,
        typeModifier: Int32 = -1,
        tableOID: UInt32? = nil,
        tableColumnNumber: Int? = nil
    ) {
        self.name = name
        self.type = type
        self.typeName = typeName ?? type.description
        self.typeModifier = typeModifier
        self.tableOID = tableOID
        self.tableColumnNumber = tableColumnNumber
    }
}
