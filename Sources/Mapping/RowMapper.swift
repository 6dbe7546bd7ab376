import APIContract
public import SyncCore

/// Why one row cannot be sent. The row is recorded with this, never dropped.
public struct RowRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the failed check (e.g. `missing-required`, `unmapped-value`, `contract`).
    public var code: String
    /// The target field at fault, when one is.
    public var field: String?
    /// What is wrong; names fields and expectations, never secrets.
    public var message: String

    /// A rejection of `code` for `field`.
    public init(code: String, field: String?, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}

/// A stream's mapping that cannot be applied to the rows a query returns (a column is missing, a zone is
/// needed): the whole stream stops, since every row would fail the same way.
public struct MappingRuntimeError: Error, Sendable, CustomStringConvertible {
    public var stream: String
    public var location: SourceLocation
    public var message: String

    public var description: String { "\(location): error: stream '\(stream)': \(message)" }
}

/// One row's result: the item to send, why it cannot be sent, or why the mapping says to leave it out.
public enum RowOutcome: Sendable {
    case item(JSONObject)
    case rejected(RowRejection)
    /// The mapping asked for rows like this one to be skipped (`if_empty: skip`); counted, not sent.
    case skipped(RowRejection)
}

/// Applies one section of a stream's mapping to rows of a known column layout.
///
/// Column names are resolved to positions once, so mapping a row is a walk over arrays.
public struct RowMapper: Sendable {
    /// The stream this mapper belongs to.
    public let streamName: String
    private let fields: [(path: [String], spec: FieldSpec, expression: ResolvedExpression, ifEmpty: EmptyPolicy, location: SourceLocation)]
    private let keyIndex: Int
    private let watermarkIndex: Int
    private let zone: ZoneConverter?
    private let addsEventID: Bool
    private let schema: ObjectSchema

    /// A mapper for the main section of `stream`, for rows whose columns are `columns`.
    ///
    /// - Throws: `MappingRuntimeError` when a column the mapping names is not in the result.
    public init(stream: StreamMapping, columns: SourceColumns) throws(MappingRuntimeError) {
        try self.init(section: stream.main, streamName: stream.name, columns: columns)
    }

    /// A mapper for `section` of the stream `streamName`, for rows whose columns are `columns`.
    ///
    /// - Throws: `MappingRuntimeError` when a column the mapping names is not in the result.
    public init(section: MappingSection, streamName: String, columns: SourceColumns) throws(MappingRuntimeError) {
        self.streamName = streamName
        let stream = (name: streamName, source: section.source)
        func index(_ name: String, _ location: SourceLocation) throws(MappingRuntimeError) -> Int {
            guard let i = columns.index(of: name) else {
                let hint = Suggestions.closest(to: name, in: columns.names).map { "; did you mean '\($0)'?" } ?? ""
                throw MappingRuntimeError(stream: stream.name, location: location,
                                          message: "column '\(name)' is not in the source's result (columns: \(columns.names.joined(separator: ", ")))\(hint)")
            }
            return i
        }
        var fields: [([String], FieldSpec, ResolvedExpression, EmptyPolicy, SourceLocation)] = []
        for field in section.fields {
            fields.append((field.path, field.spec, try ResolvedExpression.resolve(field.expression, index: index), field.ifEmpty,
                           field.location))
        }
        self.fields = fields
        self.keyIndex = try index(stream.source.key, stream.source.keyLocation)
        self.watermarkIndex = try index(stream.source.watermark, stream.source.watermarkLocation)
        self.zone = stream.source.timezone.flatMap(ZoneConverter.init(identifier:))
        // `eventId: none` and an explicit eventId are both fields named eventId: only an unmentioned one is derived.
        self.addsEventID = section.schema.field(named: "eventId") != nil && !section.fields.contains { $0.name == "eventId" }
        self.schema = section.schema
    }

    /// The position of `column` in the rows this mapper reads, for columns the stream names outside
    /// its fields (a message's conversation and order columns).
    public static func columnIndex(_ column: String, in columns: SourceColumns, stream: String,
                                   location: SourceLocation) throws(MappingRuntimeError) -> Int {
        guard let i = columns.index(of: column) else {
            let hint = Suggestions.closest(to: column, in: columns.names).map { "; did you mean '\($0)'?" } ?? ""
            throw MappingRuntimeError(stream: stream, location: location,
                                      message: "column '\(column)' is not in the source's result (columns: \(columns.names.joined(separator: ", ")))\(hint)")
        }
        return i
    }

    /// The row's key as text, for rejects and event ids.
    public func key(of row: SourceRow) -> String { row.values[keyIndex].sqlText ?? "" }

    /// The row's watermark value.
    public func watermark(of row: SourceRow) -> SourceValue { row.values[watermarkIndex] }

    /// Maps one row and checks the result against the contract; an item that would break it is never
    /// returned.
    ///
    /// - Throws: `MappingRuntimeError` for a problem of the mapping itself, which every row would share.
    public func map(_ row: SourceRow) throws(MappingRuntimeError) -> RowOutcome {
        var item = JSONObject()
        if addsEventID {
            let id = EventID.make(stream: streamName, key: key(of: row), watermark: row.values[watermarkIndex].sqlText ?? "")
            item.appendUnchecked("eventId", .string(id))
        }
        for (path, spec, expression, ifEmpty, fieldLocation) in fields {
            let name = path.joined(separator: ".")
            if case .attributes(let attributes) = expression {
                switch attributes.build(row, zone: zone) {
                case .success(let json): if let json { RowMapper.insert(json, at: path[...], into: &item) }
                case .failure(let miss): return try outcome(of: miss, field: name, at: fieldLocation)
                }
                continue
            }
            var value: SourceValue
            switch expression.evaluate(row, zone: zone) {
            case .success(let v): value = v
            case .failure(let miss): return try outcome(of: miss, field: name, at: fieldLocation)
            }
            if RowMapper.isEmpty(value) {
                switch ifEmpty {
                case .none: break
                case .reject: return .rejected(RowRejection(code: "empty", field: name, message: "the value is empty"))
                case .skip: return .skipped(RowRejection(code: "empty", field: name, message: "the value is empty; the mapping skips such rows"))
                case .replace(let replacement): value = replacement
                }
            }
            switch FieldConverter.convert(value, to: spec, zone: zone) {
            case .success(.null):
                // A required member of a nested object is judged with its object: an optional object whose
                // members are all NULL is left out; a partial one fails the contract check below.
                if spec.required, path.count == 1 {
                    return .rejected(RowRejection(code: "missing-required", field: name, message: "required field is null in this row"))
                }
            case .success(let json):
                RowMapper.insert(json, at: path[...], into: &item)
            case .failure(let problem):
                if case .localTimestamp = value, zone == nil {
                    throw MappingRuntimeError(stream: streamName, location: fieldLocation,
                                              message: "field '\(name)' reads a 'timestamp without time zone'; state its zone with 'timezone' under 'source'")
                }
                return .rejected(RowRejection(code: "conversion", field: name, message: problem.message))
            }
        }
        let violations = ContractValidator.validate(.object(item), against: schema, path: "")
        if let first = violations.first {
            let message = violations.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
            return .rejected(RowRejection(code: "contract", field: first.path.isEmpty ? nil : first.path, message: message))
        }
        return .item(item)
    }

    /// NULL, or text with no characters.
    static func isEmpty(_ value: SourceValue) -> Bool {
        switch value {
        case .null: true
        case .string(let s): s.isEmpty
        default: false
        }
    }

    /// Sets `value` at `path`, creating the objects on the way (an object appears only once one of its
    /// members has a value, so an optional object whose members are all NULL is left out).
    static func insert(_ value: JSONValue, at path: ArraySlice<String>, into object: inout JSONObject) {
        guard let head = path.first else { return }
        if path.count == 1 {
            object[head] = value
            return
        }
        var child = object[head]?.objectValue ?? JSONObject()
        insert(value, at: path.dropFirst(), into: &child)
        object[head] = .object(child)
    }

    /// A failed evaluation as a rejection, or as a stream-stopping error when every row would fail alike.
    private func outcome(of miss: ResolvedExpression.Miss, field: String, at fieldLocation: SourceLocation) throws(MappingRuntimeError) -> RowOutcome {
        if miss.stopsStream {
            throw MappingRuntimeError(stream: streamName, location: fieldLocation, message: "field '\(field)': \(miss.message)")
        }
        return .rejected(RowRejection(code: miss.code, field: field, message: miss.message))
    }

    /// A short quoted form of a source value for messages: enough to recognise it, never a whole text.
    static func quoteShort(_ text: String) -> String {
        text.count <= 40 ? "'\(text)'" : "'\(text.prefix(37))...'"
    }
}
