/// One value read from the source database, typed by the column it came from.
public enum SourceValue: Sendable, Hashable {
    case null
    /// `text`, `varchar`, `char`, `uuid`, `citext` and other text-like types.
    case string(String)
    /// `smallint`, `integer`, `bigint`.
    case integer(Int64)
    /// `numeric`, kept as its exact decimal text.
    case decimal(String)
    /// `real`, `double precision`.
    case double(Double)
    case bool(Bool)
    /// `timestamptz`: an instant.
    case timestamp(UTCTimestamp)
    /// `timestamp without time zone`: a wall-clock reading whose zone the mapping must state.
    case localTimestamp(LocalTimestamp)
    /// `date`.
    case date(LocalDate)
    /// `text[]` and other one-dimensional arrays of text-like values; elements may be NULL.
    case stringArray([String?])
    /// `json` / `jsonb`, kept as the server's text.
    case json(String)

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The name of the value's kind, as diagnostics print it.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .string: "text"
        case .integer: "integer"
        case .decimal: "numeric"
        case .double: "double"
        case .bool: "boolean"
        case .timestamp: "timestamptz"
        case .localTimestamp: "timestamp"
        case .date: "date"
        case .stringArray: "text[]"
        case .json: "jsonb"
        }
    }
}

/// The column names of a result, shared by every row of it.
public final class SourceColumns: Sendable {
    /// Column names in result order.
    public let names: [String]
    private let indexByName: [String: Int]

    /// Columns with these names; a repeated name resolves to its first position.
    public init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        self.indexByName = index
    }

    /// The position of `name`, or `nil` when the result has no such column.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The number of columns.
    public var count: Int { names.count }
}

/// One source row: values in the order of its `columns`.
public struct SourceRow: Sendable, Hashable {
    /// The shared column list of the result this row came from.
    public let columns: SourceColumns
    /// The values, one per column.
    public var values: [SourceValue]

    /// A row over `columns` holding `values`; the two must have the same length.
    public init(columns: SourceColumns, values: [SourceValue]) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of column `name`, or `nil` when there is no such column.
    public subscript(name: String) -> SourceValue? {
        columns.index(of: name).map { values[$0] }
    }

    public static func == (lhs: SourceRow, rhs: SourceRow) -> Bool {
        lhs.columns.names == rhs.columns.names && lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(columns.names)
        hasher.combine(values)
    }
}

extension SourceValue {
    /// The value as text PostgreSQL parses back to the same value (for binding keys and watermarks,
    /// and for keeping them in the checkpoint table); `nil` for NULL.
    public var sqlText: String? {
        switch self {
        case .null: nil
        case .string(let s): s
        case .integer(let i): String(i)
        case .decimal(let s): s
        case .double(let d): "\(d)"
        case .bool(let b): b ? "true" : "false"
        case .timestamp(let t): t.iso8601(fractionDigits: 6)
        case .localTimestamp(let t): t.sqlText
        case .date(let d): d.iso8601
        case .stringArray(let items): SourceValue.arrayLiteral(items)
        case .json(let s): s
        }
    }

    /// `{a,"b c",NULL}`: PostgreSQL's array text form.
    static func arrayLiteral(_ items: [String?]) -> String {
        let parts = items.map { item -> String in
            guard let item else { return "NULL" }
            var quoted = "\""
            for ch in item.unicodeScalars {
                if ch == "\"" || ch == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(ch)
            }
            return quoted + "\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
