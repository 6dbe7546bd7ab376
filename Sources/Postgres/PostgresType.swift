/// A PostgreSQL type, by OID, with names for the built-in types the connector meets.
public struct PostgresType: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    /// The type's OID in `pg_type`.
    public var rawValue: UInt32

    /// The type with OID `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The type with OID `oid`.
    public init(_ oid: UInt32) { self.rawValue = oid }

    /// OID 0: no type given; the server infers a parameter's type from context.
    public static let unspecified = PostgresType(0)
    public static let bool = PostgresType(16)
    public static let bytea = PostgresType(17)
    public static let char = PostgresType(18)
    public static let name = PostgresType(19)
    public static let int8 = PostgresType(20)
    public static let int2 = PostgresType(21)
    public static let int4 = PostgresType(23)
    public static let text = PostgresType(25)
    public static let oid = PostgresType(26)
    public static let json = PostgresType(114)
    public static let xml = PostgresType(142)
    public static let float4 = PostgresType(700)
    public static let float8 = PostgresType(701)
    public static let unknown = PostgresType(705)
    public static let money = PostgresType(790)
    public static let bpchar = PostgresType(1042)
    public static let varchar = PostgresType(1043)
    public static let date = PostgresType(1082)
    public static let time = PostgresType(1083)
    public static let timestamp = PostgresType(1114)
    public static let timestamptz = PostgresType(1184)
    public static let interval = PostgresType(1186)
    public static let timetz = PostgresType(1266)
    public static let numeric = PostgresType(1700)
    public static let uuid = PostgresType(2950)
    public static let jsonb = PostgresType(3802)

    public static let boolArray = PostgresType(1000)
    public static let byteaArray = PostgresType(1001)
    public static let charArray = PostgresType(1002)
    public static let nameArray = PostgresType(1003)
    public static let int2Array = PostgresType(1005)
    public static let int4Array = PostgresType(1007)
    public static let textArray = PostgresType(1009)
    public static let bpcharArray = PostgresType(1014)
    public static let varcharArray = PostgresType(1015)
    public static let int8Array = PostgresType(1016)
    public static let float4Array = PostgresType(1021)
    public static let float8Array = PostgresType(1022)
    public static let oidArray = PostgresType(1028)
    public static let timestampArray = PostgresType(1115)
    public static let dateArray = PostgresType(1182)
    public static let timestamptzArray = PostgresType(1185)
    public static let numericArray = PostgresType(1231)
    public static let uuidArray = PostgresType(2951)
    public static let jsonArray = PostgresType(199)
    public static let jsonbArray = PostgresType(3807)

    /// The SQL name of a built-in type (`int8`, `timestamptz`, `text[]`), or `nil` for types this table
    /// does not know (extensions such as `citext`, enums, domains).
    public var knownName: String? { Self.names[rawValue] }

    /// Whether this is one of the built-in one-dimensional array types above.
    public var isKnownArray: Bool { Self.elementTypes[rawValue] != nil }

    /// The element type of a built-in array type.
    public var arrayElementType: PostgresType? { Self.elementTypes[rawValue].map { PostgresType($0) } }

    /// The known name, or `oid NNN` for other types.
    public var description: String { knownName ?? "oid \(rawValue)" }

    private static let elementTypes: [UInt32: UInt32] = [
        1000: 16, 1001: 17, 1002: 18, 1003: 19, 1005: 21, 1007: 23, 1009: 25, 1014: 1042, 1015: 1043,
        1016: 20, 1021: 700, 1022: 701, 1028: 26, 1115: 1114, 1182: 1082, 1185: 1184, 1231: 1700,
        2951: 2950, 199: 114, 3807: 3802,
    ]

    private static let names: [UInt32: String] = {
        var names: [UInt32: String] = [
            0: "unspecified", 16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2",
            23: "int4", 25: "text", 26: "oid", 114: "json", 142: "xml", 700: "float4", 701: "float8",
            705: "unknown", 790: "money", 1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time",
            1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1266: "timetz", 1700: "numeric",
            2950: "uuid", 3802: "jsonb",
        ]
        for (array, element) in elementTypes {
            if let name = names[element] { names[array] = name + "[]" }
        }
        return names
    }()
}
