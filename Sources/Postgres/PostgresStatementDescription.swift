/// What the server says a statement takes and returns, learned without running it.
public struct PostgresStatementDescription: Sendable, Hashable {
    /// One `$n` parameter.
    public struct Parameter: Sendable, Hashable {
        /// The type the server inferred for the parameter.
        public var type: PostgresType
        /// The type's name (`int8`, `text`, or the catalog's name for other types).
        public var typeName: String

        /// A parameter of `type` named `typeName`.
        public init(type: PostgresType, typeName: String) {
            self.type = type
            self.typeName = typeName
        }
    }

    /// The parameters, `$1` first.
    public var parameters: [Parameter]
    /// The result columns; empty for statements that return no rows.
    public var columns: [PostgresColumn]

    /// A description from its parts.
    public init(parameters: [Parameter], columns: [PostgresColumn]) {
        self.parameters = parameters
        self.columns = columns
    }
}
