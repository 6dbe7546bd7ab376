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
    /// `boolean`.
    public static let bool = PostgresType(16)
    /// `bytea`.
    public static let bytea = PostgresType(17)
    /// `"char"`.
    public static let char = PostgresType(18)
    /// `name`.
    public static let name = PostgresType(19)
    /// `bigint`.
    public static let int8 = PostgresType(20)
    /// `smallint`.
    public static let int2 = PostgresType(21)
    /// `integer`.
    public static let int4 = PostgresType(23)
    /// `text`.
    public static let text = PostgresType(25)
    /// `oid`.
    public static let oid = PostgresType(26)
    /// `json`.
    public static let json = PostgresType(114)
    /// `xml`.
    public static let xml = PostgresType(142)
    /// `real`.
    public static let float4 = PostgresType(700)
    /// `double precision`.
    public static let float8 = PostgresType(701)
    /// `unknown`.
    public static let unknown = PostgresType(705)
    /// `money`.
    public static let money = PostgresType(790)
    /// `character(n)`.
    public static let bpchar = PostgresType(1042)
    /// `character varying(n)`.
    public static let varchar = PostgresType(1043)
    /// `date`.
    public static let date = PostgresType(1082)
    /// `time`.
    public static let time = PostgresType(1083)
    /// `timestamp without time zone`.
    public static let timestamp = PostgresType(1114)
    /// `timestamp with time zone`.
    public static let timestamptz = PostgresType(1184)
    /// `interval`.
    public static let interval = PostgresType(1186)
    /// `time with time zone`.
    public static let timetz = PostgresType(1266)
    /// `numeric`.
    public static let numeric = PostgresType(1700)
    /// `uuid`.
    public static let uuid = PostgresType(2950)
    /// `jsonb`.
    public static let jsonb = PostgresType(3802)

    /// `boolean[]`.
    public static let boolArray = PostgresType(1000)
    /// `bytea[]`.
    public static let byteaArray = PostgresType(1001)
    /// `"char"[]`.
    public static let charArray = PostgresType(1002)
    /// `name[]`.
    public static let nameArray = PostgresType(1003)
    /// `smallint[]`.
    public static let int2Array = PostgresType(1005)
    /// `integer[]`.
    public static let int4Array = PostgresType(1007)
    /// `text[]`.
    public static let textArray = PostgresType(1009)
    /// `character(n)[]`.
    public static let bpcharArray = PostgresType(1014)
    /// `character varying(n)[]`.
    public static let varcharArray = PostgresType(1015)
    /// `bigint[]`.
    public static let int8Array = PostgresType(1016)
    /// `real[]`.
    public static let float4Array = PostgresType(1021)
    /// `double precision[]`.
    public static let float8Array = PostgresType(1022)
    /// `oid[]`.
    public static let oidArray = PostgresType(1028)
    /// `timestamp without time zone[]`.
    public static let timestampArray = PostgresType(1115)
    /// `date[]`.
    public static let dateArray = PostgresType(1182)
    /// `timestamp with time zone[]`.
    public static let timestamptzArray = PostgresType(1185)
    /// `numeric[]`.
    public static let numericArray = PostgresType(1231)
    /// `uuid[]`.
    public static let uuidArray = PostgresType(2951)
    /// `json[]`.
    public static let jsonArray = PostgresType(199)
    /// `jsonb[]`.
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
