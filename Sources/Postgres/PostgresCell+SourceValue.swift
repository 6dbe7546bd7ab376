import SyncCore

extension PostgresCell {
    /// The value as the connector's `SourceValue`, chosen by the column's type.
    ///
    /// Integers become `.integer`, `numeric` keeps its exact text as `.decimal`, `timestamptz` becomes an
    /// instant, `timestamp` a wall-clock reading, one-dimensional arrays `.stringArray`, `json`/`jsonb`
    /// their text; text-like and unknown types (`uuid`, `citext`, enums, `interval`, …) their text.
    public func sourceValue() throws -> SourceValue {
        if isNull { return .null }
        let type = column.type
        return try withUnsafeTextBytes(expecting: SourceValue.self) { bytes throws -> SourceValue in
            switch type {
            case .int2, .int4, .int8, .oid: return .integer(try PostgresNumberText.int64(bytes))
            case .numeric: return .decimal(String(decoding: bytes, as: UTF8.self))
            case .float4, .float8: return .double(try PostgresNumberText.double(bytes))
            case .bool: return .bool(try PostgresNumberText.bool(bytes))
            case .timestamptz: return .timestamp(try PostgresDateTimeText.timestamptz(bytes))
            case .timestamp: return .localTimestamp(try PostgresDateTimeText.timestamp(bytes))
            case .date: return .date(try PostgresDateTimeText.date(bytes))
            case .json, .jsonb: return .json(String(decoding: bytes, as: UTF8.self))
            default:
                if type.isKnownArray { return .stringArray(try PostgresArrayText.parse(bytes)) }
                return .string(String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}
