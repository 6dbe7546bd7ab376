import SyncCore

/// How a column's text becomes a `SourceValue`: chosen once per column from its type, so decoding a row
/// is a switch per cell rather than a look-up of the column and its type.
enum SourceDecoding: Sendable {
    case integer, decimal, double, bool, timestamptz, timestamp, date, json, array, text

    init(_ type: PostgresType) {
        switch type {
        case .int2, .int4, .int8, .oid: self = .integer
        case .numeric: self = .decimal
        case .float4, .float8: self = .double
        case .bool: self = .bool
        case .timestamptz: self = .timestamptz
        case .timestamp: self = .timestamp
        case .date: self = .date
        case .json, .jsonb: self = .json
        default: self = type.isKnownArray ? .array : .text
        }
    }

    /// The value of a cell's (non-NULL) text.
    ///
    /// - Throws: `PostgresTextFormatError` when the text is not of the column's type.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws -> SourceValue {
        switch self {
        case .integer: .integer(try PostgresNumberText.int64(bytes))
        case .decimal: .decimal(String(decoding: bytes, as: UTF8.self))
        case .double: .double(try PostgresNumberText.double(bytes))
        case .bool: .bool(try PostgresNumberText.bool(bytes))
        case .timestamptz: .timestamp(try PostgresDateTimeText.timestamptz(bytes))
        case .timestamp: .localTimestamp(try PostgresDateTimeText.timestamp(bytes))
        case .date: .date(try PostgresDateTimeText.date(bytes))
        case .json: .json(String(decoding: bytes, as: UTF8.self))
        case .array: .stringArray(try PostgresArrayText.parse(bytes))
        case .text: .string(String(decoding: bytes, as: UTF8.self))
        }
    }
}

extension PostgresCell {
    /// The value as the connector's `SourceValue`, chosen by the column's type.
    ///
    /// Integers become `.integer`, `numeric` keeps its exact text as `.decimal`, `timestamptz` becomes an
    /// instant, `timestamp` a wall-clock reading, one-dimensional arrays `.stringArray`, `json`/`jsonb`
    /// their text; text-like and unknown types (`uuid`, `citext`, enums, `interval`, …) their text.
    public func sourceValue() throws -> SourceValue {
        if isNull { return .null }
        let decoding = storage.columnSet.decodings[index]
        return try withUnsafeTextBytes(expecting: SourceValue.self) { bytes throws -> SourceValue in try decoding.decode(bytes) }
    }
}
