import SyncCore

/// A Swift type a row's cell can be decoded into.
///
/// Decoders throw `PostgresError` with code `.decodingFailed`, built with `PostgresCell.decodingError`, so
/// every failure names the column, its type and the requested Swift type.
public protocol PostgresDecodable: Sendable {
    /// The value of `cell`; throws when the cell is NULL (except for optionals) or of an unsuitable type.
    init(postgresCell cell: PostgresCell) throws
}

extension PostgresCell {
    /// Throws unless the column's type is one of `types`.
    func require(_ types: [PostgresType], for swiftType: Any.Type, kind: String) throws {
        guard types.contains(column.type) else {
            throw decodingError(expecting: swiftType, "expected a \(kind) column")
        }
    }
}

private let integerTypes: [PostgresType] = [.int2, .int4, .int8, .oid]

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// `nil` for NULL, otherwise the wrapped type's decoding.
    public init(postgresCell cell: PostgresCell) throws {
        self = cell.isNull ? nil : try Wrapped(postgresCell: cell)
    }
}

extension String: PostgresDecodable {
    /// The text form of any column type.
    public init(postgresCell cell: PostgresCell) throws {
        self = try cell.withUnsafeTextBytes(expecting: String.self) { String(decoding: $0, as: UTF8.self) }
    }
}

extension Int64: PostgresDecodable {
    /// A `smallint`, `integer`, `bigint` or `oid`.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require(integerTypes, for: Int64.self, kind: "integer")
        self = try cell.withUnsafeTextBytes(expecting: Int64.self) { try PostgresNumberText.int64($0) }
    }
}

extension Int: PostgresDecodable {
    /// A `smallint`, `integer`, `bigint` or `oid`.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require(integerTypes, for: Int.self, kind: "integer")
        let value = try cell.withUnsafeTextBytes(expecting: Int.self) { try PostgresNumberText.int64($0) }
        guard let exact = Int(exactly: value) else { throw cell.decodingError(expecting: Int.self, "out of range") }
        self = exact
    }
}

extension Int32: PostgresDecodable {
    /// A `smallint` or `integer`, or a `bigint` whose value fits.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require(integerTypes, for: Int32.self, kind: "integer")
        let value = try cell.withUnsafeTextBytes(expecting: Int32.self) { try PostgresNumberText.int64($0) }
        guard let exact = Int32(exactly: value) else {
            throw cell.decodingError(expecting: Int32.self, "value out of range")
        }
        self = exact
    }
}

extension Bool: PostgresDecodable {
    /// A `boolean`.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require([.bool], for: Bool.self, kind: "boolean")
        self = try cell.withUnsafeTextBytes(expecting: Bool.self) { try PostgresNumberText.bool($0) }
    }
}

extension Double: PostgresDecodable {
    /// A `real`, `double precision`, `numeric` (rounded to the nearest Double) or integer.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require([.float4, .float8, .numeric] + integerTypes, for: Double.self, kind: "numeric")
        self = try cell.withUnsafeTextBytes(expecting: Double.self) { try PostgresNumberText.double($0) }
    }
}

extension UTCTimestamp: PostgresDecodable {
    /// A `timestamptz`. A `timestamp without time zone` is refused: it names no instant.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require([.timestamptz], for: UTCTimestamp.self, kind: "timestamptz")
        self = try cell.withUnsafeTextBytes(expecting: UTCTimestamp.self) {
            try PostgresDateTimeText.timestamptz($0)
        }
    }
}

extension LocalTimestamp: PostgresDecodable {
    /// A `timestamp without time zone`.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require([.timestamp], for: LocalTimestamp.self, kind: "timestamp")
        self = try cell.withUnsafeTextBytes(expecting: LocalTimestamp.self) {
            try PostgresDateTimeText.timestamp($0)
        }
    }
}

extension LocalDate: PostgresDecodable {
    /// A `date`.
    public init(postgresCell cell: PostgresCell) throws {
        try cell.require([.date], for: LocalDate.self, kind: "date")
        self = try cell.withUnsafeTextBytes(expecting: LocalDate.self) { try PostgresDateTimeText.date($0) }
    }
}

extension Array: PostgresDecodable where Element == String? {
    /// A one-dimensional array of any element type, as the elements' text; NULL elements are `nil`.
    /// Arrays of types the wrapper does not know by OID (e.g. `citext[]`, enum arrays) are accepted too.
    public init(postgresCell cell: PostgresCell) throws {
        let type = cell.column.type
        guard type.isKnownArray || type.knownName == nil else {
            throw cell.decodingError(expecting: [String?].self, "expected an array column")
        }
        self = try cell.withUnsafeTextBytes(expecting: [String?].self) { try PostgresArrayText.parse($0) }
    }
}

extension SourceValue: PostgresDecodable {
    /// The value typed by its column's type; see `PostgresRow.sourceValue(at:)`.
    public init(postgresCell cell: PostgresCell) throws {
        self = try cell.sourceValue()
    }
}
