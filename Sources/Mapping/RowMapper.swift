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
    /// The item, checked against the contract and written as the compact JSON the API receives.
    case item(EncodedJSON)
    case rejected(RowRejection)
    /// The mapping asked for rows like this one to be skipped (`if_empty: skip`); counted, not sent.
    case skipped(RowRejection)
}

/// Applies one section of a stream's mapping to rows of a known column layout.
///
/// Column names are resolved to positions, and the item's layout (which member goes where, nested
/// members grouped under their object) is fixed once, so mapping a row is a walk over arrays: each value
/// is checked against its member's contract as it is computed, and the item is written straight to JSON
/// bytes, with no object tree built, walked and freed per row.
public struct RowMapper: Sendable {
    /// The stream this mapper belongs to.
    public let streamName: String
    private let fields: [Field]
    /// The item's top-level members in the order they are written: mapping order, a nested object at the
    /// place of its first member.
    private let members: [Member]
    /// Required members the mapping never sets: every row breaks the contract the same way.
    private let unmappedRequired: [(order: Int, name: String)]
    private let keyIndex: Int
    private let watermarkIndex: Int
    private let zone: ZoneConverter?
    /// Set when the stream's items carry a derived `eventId` (the schema has one and the mapping does not
    /// set it or turn it off).
    private let eventID: DerivedEventID?

    /// How a derived `eventId` is made and checked. A class, so that reading it per row costs one
    /// reference count rather than one per string and array inside.
    private final class DerivedEventID: Sendable {
        let spec: FieldSpec
        /// `stream-` as UTF-8 (see `EventID.prefix(stream:)`).
        let prefix: [UInt8]
        let streamHash: UInt64
        /// `"eventId":` as JSON text.
        let key: [UInt8]

        init(spec: FieldSpec, prefix: [UInt8], streamHash: UInt64, key: [UInt8]) {
            self.spec = spec
            self.prefix = prefix
            self.streamHash = streamHash
            self.key = key
        }
    }

    // Fields and members are classes: the loop over them per row then costs one reference count per
    // element, not one per string and array inside it.
    private final class Field: Sendable {
        let path: [String]
        let name: String
        let spec: FieldSpec
        let expression: ResolvedExpression
        let ifEmpty: EmptyPolicy
        let location: SourceLocation
        /// A top-level member, checked against its contract on its own; a nested one is checked with its object.
        let topLevel: Bool
        /// The position of its top-level member in the schema.
        let order: Int
        /// For a field that does work on one column's value: that column and the results of recent values.
        let cache: (column: Int, results: FieldResultCache)?
        /// For a member of a nested object (`sender.role`) that its object's schema names: its position
        /// there and its contract, by which it is checked on its own, as a top-level member is.
        let nestedMember: (index: Int, spec: FieldSpec, key: [UInt8], path: String)?

        init(path: [String], name: String, spec: FieldSpec, expression: ResolvedExpression, ifEmpty: EmptyPolicy, location: SourceLocation,
             order: Int, objectSpec: FieldSpec) {
            self.order = order
            if path.count == 2, case .object(let schema) = objectSpec.type, let index = schema.index(of: path[1]) {
                self.nestedMember = (index, schema.fields[index], RowMapper.memberKey(path[1]), path[0] + "." + path[1])
            } else {
                self.nestedMember = nil
            }
            self.path = path
            self.name = name
            self.spec = spec
            self.expression = expression
            self.ifEmpty = ifEmpty
            self.location = location
            self.topLevel = path.count == 1
            let columns = expression.columns
            if expression.doesWork, columns.count == 1, let column = columns.first {
                self.cache = (column, FieldResultCache())
            } else {
                self.cache = nil
            }
        }
    }

    private final class Member: Sendable {
        /// `"name":` as JSON text.
        let key: [UInt8]
        let name: String
        /// The top-level member's contract; for a nested object, the object's.
        let spec: FieldSpec
        /// The member's position in the schema, so violations are reported in the contract's order.
        let order: Int
        /// The fields that make it: one for a plain member, the nested object's members otherwise.
        let fields: [Int]
        let nested: Bool
        /// For a nested object whose every field is a member its schema names (`Field.nestedMember`): the
        /// schema's required members, by position and path. Such an object is written straight from its
        /// fields' values, each checked on its own, with no object built, checked as a whole and encoded
        /// per row.
        let direct: [(index: Int, path: String)]?

        init(key: [UInt8], name: String, spec: FieldSpec, order: Int, fields: [Int], nested: Bool, direct: [(index: Int, path: String)]?) {
            self.key = key
            self.name = name
            self.spec = spec
            self.order = order
            self.fields = fields
            self.nested = nested
            self.direct = direct
        }

        func adding(_ field: Int) -> Member {
            Member(key: key, name: name, spec: spec, order: order, fields: fields + [field], nested: nested, direct: direct)
        }

        /// The member with `direct` set when its fields allow it.
        func settled(_ all: [Field]) -> Member {
            guard nested, case .object(let schema) = spec.type, schema.fields.count <= 64, fields.allSatisfy({ all[$0].nestedMember != nil }),
                  Set(fields.map { all[$0].nestedMember!.index }).count == fields.count else { return self }
            let required = schema.fields.indices.filter { schema.fields[$0].required }.map { ($0, name + "." + schema.fields[$0].name) }
            return Member(key: key, name: name, spec: spec, order: order, fields: fields, nested: nested, direct: required)
        }
    }

    /// A mapper for the main section of `stream`, for rows whose columns are `columns`.
    ///
    /// - Throws: `MappingRuntimeError` when a column the mapping names is not in the result.
    public init(stream: StreamMapping, columns: SourceColumns) throws(MappingRuntimeError) {
        try self.init(section: stream.main, streamName: stream.name, columns: columns)
    }

    /// A mapper for `section` of the stream `streamName`, for rows whose columns are `columns`.
    ///
    /// - Throws: `MappingRuntimeError` when a column the mapping names is not in the result, or a field is
    ///   not a member of the target's schema (the parser's checks refuse such files before this).
    public init(section: MappingSection, streamName: String, columns: SourceColumns) throws(MappingRuntimeError) {
        self.streamName = streamName
        let source = section.source
        let schema = section.schema
        func index(_ name: String, _ location: SourceLocation) throws(MappingRuntimeError) -> Int {
            try RowMapper.columnIndex(name, in: columns, stream: streamName, location: location)
        }
        var fields: [Field] = []
        var members: [Member] = []
        var memberByName: [String: Int] = [:]
        for field in section.fields {
            let resolved = try ResolvedExpression.resolve(field.expression, index: index)
            let top = field.path[0]
            guard let order = schema.index(of: top) else {
                throw MappingRuntimeError(stream: streamName, location: field.location,
                                          message: "field '\(field.name)' is not a member of the \(schema.name)")
            }
            fields.append(Field(path: field.path, name: field.name, spec: field.spec, expression: resolved, ifEmpty: field.ifEmpty,
                                location: field.location, order: order, objectSpec: schema.fields[order]))
            if let existing = memberByName[top] {
                members[existing] = members[existing].adding(fields.count - 1)
            } else {
                memberByName[top] = members.count
                members.append(Member(key: RowMapper.memberKey(top), name: top, spec: schema.fields[order], order: order, fields: [fields.count - 1],
                                      nested: field.path.count > 1, direct: nil))
            }
        }
        self.fields = fields
        self.members = members.map { $0.settled(fields) }
        self.keyIndex = try index(source.key, source.keyLocation)
        self.watermarkIndex = try index(source.watermark, source.watermarkLocation)
        self.zone = source.timezone.flatMap(ZoneConverter.init(identifier:))
        // `eventId: none` and an explicit eventId are both fields named eventId: only an unmentioned one is derived.
        if let spec = schema.field(named: "eventId"), memberByName["eventId"] == nil, !section.fields.contains(where: { $0.name == "eventId" }) {
            self.eventID = DerivedEventID(spec: spec, prefix: Array(EventID.prefix(stream: streamName).utf8), streamHash: EventID.streamHash(streamName),
                                          key: RowMapper.memberKey("eventId"))
            memberByName["eventId"] = -1
        } else {
            self.eventID = nil
        }
        self.unmappedRequired = schema.fields.enumerated().compactMap { offset, field in
            field.required && memberByName[field.name] == nil ? (offset, field.name) : nil
        }
    }

    /// `"name":`, the text that opens a member.
    private static func memberKey(_ name: String) -> [UInt8] {
        var key: [UInt8] = []
        JSONValue.encodeString(name, into: &key)
        key.append(UInt8(ascii: ":"))
        return key
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
        try map(row, key: key(of: row))
    }

    /// Maps one row whose key text the caller has already read (`key(of:)`).
    public func map(_ row: SourceRow, key: String) throws(MappingRuntimeError) -> RowOutcome {
        var values = [Slot](repeating: .absent, count: fields.count)
        // Each violation by its member's place in the schema and, within a nested object, its member's.
        var violations: [(order: Int, member: Int, violation: ContractViolation)] = []
        // The violations of nested members checked on their own, by field: reported with their object
        // when it is written directly, and left for the object's own check otherwise.
        var nestedViolations: [(field: Int, violation: ContractViolation)] = []
        for index in fields.indices {
            let field = fields[index]
            let result: FieldResult
            if let (column, results) = field.cache {
                result = try results.result(for: row.values[column]) { () throws(MappingRuntimeError) in
                    RowMapper.encoded(try compute(field, row), field)
                }
            } else {
                result = try compute(field, row)
            }
            switch result {
            case .value(let json, let problems):
                if let json { values[index] = .json(json) }
                if field.topLevel {
                    for problem in problems { violations.append((field.order, 0, problem)) }
                } else {
                    for problem in problems { nestedViolations.append((index, problem)) }
                }
            case .text(let bytes): values[index] = .text(bytes)
            case .rejected(let rejection): return .rejected(rejection)
            case .skipped(let rejection): return .skipped(rejection)
            }
        }

        // Each member is written as it is. Top-level members, and the members of a nested object written
        // directly (`Member.direct`), were checked with their values; such an object's missing members are
        // found here, and any other nested object is built and checked here, as a whole. Violations are
        // gathered and reported together in the contract's order, as the API would report them.
        var out: [UInt8] = []
        out.reserveCapacity(64 + 48 * members.count)
        out.append(UInt8(ascii: "{"))
        var first = true
        if let eventID {
            // Written in place: the id is made of id characters only (its key part is hashed when the key
            // is not), so it needs no escaping; it is still checked against its contract.
            out.append(contentsOf: eventID.key)
            out.append(UInt8(ascii: "\""))
            let start = out.count
            EventID.append(prefix: eventID.prefix, streamHash: eventID.streamHash, key: key,
                           watermark: row.values[watermarkIndex].sqlText ?? "", into: &out)
            let idBytes = out[start...]
            let conforms = idBytes.withUnsafeBufferPointer { bytes in
                guard case .string(let pattern, let maxLength, let minLength) = eventID.spec.type else { return false }
                return ContractValidator.asciiConforms(bytes, pattern: pattern, maxLength: maxLength, minLength: minLength)
            }
            if !conforms {
                let id = String(decoding: idBytes, as: UTF8.self)
                for violation in ContractValidator.validateField(.string(id), spec: eventID.spec, path: "eventId") {
                    violations.append((-1, 0, violation))
                }
            }
            out.append(UInt8(ascii: "\""))
            first = false
        }
        members: for member in members {
            let value: JSONValue
            if member.nested, let required = member.direct {
                switch RowMapper.presence(of: member, in: values) {
                case .none:
                    if member.spec.required {
                        violations.append((member.order, 0, ContractViolation(path: member.name, code: APIErrorCode.missingField,
                                                                              message: "required field is missing")))
                    }
                    continue members
                case .some:
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    out.append(contentsOf: member.key)
                    out.append(UInt8(ascii: "{"))
                    var present: UInt64 = 0
                    for index in member.fields {
                        guard case .json(let json) = values[index], let place = fields[index].nestedMember else { continue }
                        if present != 0 { out.append(UInt8(ascii: ",")) }
                        present |= 1 << UInt64(place.index)
                        out.append(contentsOf: place.key)
                        json.encode(into: &out)
                    }
                    out.append(UInt8(ascii: "}"))
                    for (index, violation) in nestedViolations where member.fields.contains(index) {
                        violations.append((member.order, fields[index].nestedMember?.index ?? 0, violation))
                    }
                    for (index, path) in required where present & (1 << UInt64(index)) == 0 {
                        violations.append((member.order, index, ContractViolation(path: path, code: APIErrorCode.missingField,
                                                                                 message: "required field is missing")))
                    }
                    continue members
                case .withNull:
                    break
                }
            }
            if member.nested {
                var object = JSONObject()
                for index in member.fields {
                    // Only top-level members are kept as text: a nested field's value is always JSON.
                    if case .json(let json) = values[index] { RowMapper.insert(json, at: fields[index].path.dropFirst(), into: &object) }
                }
                guard object.count > 0 else {
                    if member.spec.required {
                        violations.append((member.order, 0, ContractViolation(path: member.name, code: APIErrorCode.missingField,
                                                                              message: "required field is missing")))
                    }
                    continue
                }
                value = .object(object)
                for violation in ContractValidator.validateField(value, spec: member.spec, path: member.name) {
                    violations.append((member.order, 0, violation))
                }
            } else {
                switch values[member.fields[0]] {
                case .absent: continue
                case .json(let json): value = json
                case .text(let bytes):
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    out.append(contentsOf: member.key)
                    out.append(contentsOf: bytes)
                    continue
                }
            }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: member.key)
            value.encode(into: &out)
        }
        for (order, name) in unmappedRequired {
            violations.append((order, 0, ContractViolation(path: name, code: APIErrorCode.missingField, message: "required field is missing")))
        }
        if !violations.isEmpty {
            let ordered = violations.enumerated().sorted {
                ($0.element.order, $0.element.member, $0.offset) < ($1.element.order, $1.element.member, $1.offset)
            }.map(\.element.violation)
            let message = ordered.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
            return .rejected(RowRejection(code: "contract", field: ordered[0].path.isEmpty ? nil : ordered[0].path, message: message))
        }
        out.append(UInt8(ascii: "}"))
        return .item(EncodedJSON(uncheckedBytes: out))
    }

    /// One field's value for `row`: evaluated, its empty policy applied, converted to its member's JSON
    /// and, for a top-level member, checked against the member's contract.
    private func compute(_ field: Field, _ row: SourceRow) throws(MappingRuntimeError) -> FieldResult {
        if case .attributes(let attributes) = field.expression {
            switch attributes.build(row, zone: zone) {
            case .success(let json): return checked(json, field)
            case .failure(let miss): return try outcome(of: miss, field: field.name, at: field.location)
            }
        }
        var value: SourceValue
        switch field.expression.evaluate(row, zone: zone) {
        case .success(let v): value = v
        case .failure(let miss): return try outcome(of: miss, field: field.name, at: field.location)
        }
        if RowMapper.isEmpty(value) {
            switch field.ifEmpty {
            case .none: break
            case .reject: return .rejected(RowRejection(code: "empty", field: field.name, message: "the value is empty"))
            case .skip: return .skipped(RowRejection(code: "empty", field: field.name, message: "the value is empty; the mapping skips such rows"))
            case .replace(let replacement): value = replacement
            }
        }
        switch FieldConverter.convert(value, to: field.spec, zone: zone) {
        case .success(.null):
            // A required member of a nested object is judged with its object: an optional object whose
            // members are all NULL is left out; a partial one fails the contract check.
            if field.spec.required, field.topLevel {
                return .rejected(RowRejection(code: "missing-required", field: field.name, message: "required field is null in this row"))
            }
            return .value(nil, violations: [])
        case .success(let json):
            return checked(json, field)
        case .failure(let problem):
            if case .localTimestamp = value, zone == nil {
                throw MappingRuntimeError(stream: streamName, location: field.location,
                                          message: "field '\(field.name)' reads a 'timestamp without time zone'; state its zone with 'timezone' under 'source'")
            }
            return .rejected(RowRejection(code: "conversion", field: field.name, message: problem.message))
        }
    }

    /// What one field of a row holds while the item is written.
    private enum Slot {
        case absent
        case json(JSONValue)
        case text([UInt8])
    }

    /// A result as it is kept for later rows: a conforming top-level array or object as its JSON text.
    /// A string, number or boolean stays as it is: writing one is a copy and an escape scan, which an
    /// encoded copy would save only on a hit and pay for with an allocation on every miss.
    private static func encoded(_ result: FieldResult, _ field: Field) -> FieldResult {
        guard field.topLevel, case .value(let json?, let violations) = result, violations.isEmpty else { return result }
        switch json {
        case .array, .object: break
        case .null, .bool, .int, .double, .string: return result
        }
        var bytes: [UInt8] = []
        json.encode(into: &bytes)
        return .text(bytes)
    }

    /// `json` as a field's value, with its violations when it is a top-level member or a member its
    /// nested object's schema names (a `null` there is judged with its object).
    private func checked(_ json: JSONValue?, _ field: Field) -> FieldResult {
        guard let json else { return .value(nil, violations: []) }
        if field.topLevel { return .value(json, violations: ContractValidator.validateField(json, spec: field.spec, path: field.name)) }
        if let place = field.nestedMember, json != .null {
            return .value(json, violations: ContractValidator.validateField(json, spec: place.spec, path: place.path))
        }
        return .value(json, violations: [])
    }

    /// Whether a nested object's fields have values in this row, and whether one is a JSON `null` (which
    /// its object's own check judges).
    private enum Presence { case none, some, withNull }

    private static func presence(of member: Member, in values: [Slot]) -> Presence {
        var presence = Presence.none
        for index in member.fields {
            guard case .json(let json) = values[index] else { continue }
            if json == .null { return .withNull }
            presence = .some
        }
        return presence
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
    private func outcome(of miss: ResolvedExpression.Miss, field: String, at fieldLocation: SourceLocation) throws(MappingRuntimeError) -> FieldResult {
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
