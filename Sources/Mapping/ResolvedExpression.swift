import APIContract
import SyncCore

/// A field's expression with column names turned into positions in the row, ready to evaluate per row.
indirect enum ResolvedExpression: Sendable {
    case column(Int)
    case constant(SourceValue)
    case valueMap(ResolvedExpression, [String: SourceValue], MapFallback)
    case coalesce([ResolvedExpression])
    case template([Part])
    case json(ResolvedExpression, JSONPath)
    case when([Clause], otherwise: ResolvedExpression)
    case transformed(ResolvedExpression, [TransformStep])
    case attributes(Attributes)

    enum Part: Sendable {
        case text(String)
        /// A column's position and its name (for messages).
        case column(Int, String)
    }

    struct Clause: Sendable {
        var column: Int
        var condition: Condition
        var then: ResolvedExpression
    }

    struct Attributes: Sendable {
        var pairs: [(name: String, value: ResolvedExpression)]
        var object: ResolvedExpression?
        var steps: [TransformStep]
        var overflow: AttributeOverflow
        var limit: Int
    }

    /// Why a row's value cannot be computed.
    struct Miss: Error, Sendable {
        /// A stable code for the rejects table, e.g. `unmapped-value`, `transform`, `too-many-attributes`.
        var code: String
        /// What is wrong; names columns and steps, never whole values.
        var message: String
        /// The mapping is at fault for every row (e.g. a wall-clock value with no zone stated).
        var stopsStream = false
    }

    /// Resolves `expression` against a result's columns; `index` maps a column to its position or throws.
    static func resolve(_ expression: ValueExpression,
                        index: (String, SourceLocation) throws(MappingRuntimeError) -> Int) throws(MappingRuntimeError) -> ResolvedExpression {
        func all(_ parts: [ValueExpression]) throws(MappingRuntimeError) -> [ResolvedExpression] {
            var resolved: [ResolvedExpression] = []
            for part in parts { resolved.append(try resolve(part, index: index)) }
            return resolved
        }
        switch expression {
        case .column(let name, let location): return .column(try index(name, location))
        case .constant(let value): return .constant(value)
        case .valueMap(let inner, let entries, let fallback, _): return .valueMap(try resolve(inner, index: index), entries, fallback)
        case .coalesce(let parts): return .coalesce(try all(parts))
        case .template(let parts, _):
            var resolved: [Part] = []
            for part in parts {
                switch part {
                case .text(let text): resolved.append(.text(text))
                case .column(let name, let location): resolved.append(.column(try index(name, location), name))
                }
            }
            return .template(resolved)
        case .json(let inner, let path, _): return .json(try resolve(inner, index: index), path)
        case .when(let clauses, let otherwise):
            var resolved: [Clause] = []
            for clause in clauses {
                resolved.append(Clause(column: try index(clause.column, clause.location), condition: clause.condition,
                                       then: try resolve(clause.then, index: index)))
            }
            return .when(resolved, otherwise: try resolve(otherwise, index: index))
        case .transformed(let inner, let steps): return .transformed(try resolve(inner, index: index), steps)
        case .attributes(let mapping):
            var pairs: [(name: String, value: ResolvedExpression)] = []
            for pair in mapping.pairs { pairs.append((pair.name, try resolve(pair.value, index: index))) }
            var object: ResolvedExpression?
            if let inner = mapping.object { object = try resolve(inner, index: index) }
            return .attributes(Attributes(pairs: pairs, object: object, steps: mapping.valueSteps, overflow: mapping.overflow,
                                          limit: mapping.limit))
        }
    }

    /// The expression's value for `row`. Attributes evaluate to `.json` holding the built array.
    func evaluate(_ row: SourceRow, zone: ZoneConverter?) -> Result<SourceValue, Miss> {
        switch self {
        case .column(let i):
            return .success(row.values[i])
        case .constant(let value):
            return .success(value)
        case .valueMap(let inner, let entries, let fallback):
            let value: SourceValue
            switch inner.evaluate(row, zone: zone) {
            case .success(let v): value = v
            case .failure(let miss): return .failure(miss)
            }
            guard let text = value.sqlText else {
                if case .value(let v) = fallback { return .success(v) }
                return .success(.null)
            }
            if let mapped = entries[text] { return .success(mapped) }
            switch fallback {
            case .value(let v): return .success(v)
            case .reject:
                return .failure(Miss(code: "unmapped-value",
                                     message: "value \(RowMapper.quoteShort(text)) has no entry in the field's 'map' and no 'default' is set"))
            }
        case .coalesce(let parts):
            for part in parts {
                switch part.evaluate(row, zone: zone) {
                case .success(let v) where !v.isNull: return .success(v)
                case .success: continue
                case .failure(let miss): return .failure(miss)
                }
            }
            return .success(.null)
        case .template(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let literal): text += literal
                case .column(let i, let name):
                    let value = row.values[i]
                    // Like SQL's `||`: a missing piece makes the whole value missing, so `coalesce` or
                    // `default` can say what to send instead of a half-built id.
                    if value.isNull { return .success(.null) }
                    switch FieldConverter.text(value, zone: zone) {
                    case .success(let piece): text += piece
                    case .failure(let problem):
                        var stops = false
                        if case .localTimestamp = value, zone == nil { stops = true }
                        return .failure(Miss(code: "template", message: "placeholder {{\(name)}}: \(problem.message)", stopsStream: stops))
                    }
                }
            }
            return .success(.string(text))
        case .json(let inner, let path):
            let value: SourceValue
            switch inner.evaluate(row, zone: zone) {
            case .success(let v): value = v
            case .failure(let miss): return .failure(miss)
            }
            let text: String
            switch value {
            case .null: return .success(.null)
            case .json(let t), .string(let t): text = t
            default: return .failure(Miss(code: "json", message: "a JSON path needs a json/jsonb value or JSON text, found \(value.kindName)"))
            }
            let document: JSONValue
            do {
                document = try JSONParser.parse(text)
            } catch {
                return .failure(Miss(code: "json", message: "the value is not valid JSON (\(error.code))"))
            }
            return .success(path.value(in: document).map(ResolvedExpression.sourceValue) ?? .null)
        case .when(let clauses, let otherwise):
            for clause in clauses where clause.condition.holds(for: row.values[clause.column]) {
                return clause.then.evaluate(row, zone: zone)
            }
            return otherwise.evaluate(row, zone: zone)
        case .transformed(let inner, let steps):
            var value: SourceValue
            switch inner.evaluate(row, zone: zone) {
            case .success(let v): value = v
            case .failure(let miss): return .failure(miss)
            }
            for step in steps {
                switch step.apply(value, zone: zone) {
                case .success(let v): value = v
                case .failure(let failure):
                    return .failure(Miss(code: "transform", message: "\(step.name): \(failure.message)", stopsStream: failure.stopsStream))
                }
            }
            return .success(value)
        case .attributes(let attributes):
            return attributes.build(row, zone: zone).map { $0.map { SourceValue.json($0.jsonString) } ?? .null }
        }
    }

    /// A JSON value as a source value: scalars keep their type, lists of scalars become text lists, anything
    /// else stays JSON.
    static func sourceValue(_ json: JSONValue) -> SourceValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .integer(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items):
            var texts: [String?] = []
            for item in items {
                switch item {
                case .null: texts.append(nil)
                case .string(let s): texts.append(s)
                case .int, .double, .bool: texts.append(item.jsonString)
                case .array, .object: return .json(json.jsonString)
                }
            }
            return .stringArray(texts)
        case .object: return .json(json.jsonString)
        }
    }
}

extension ResolvedExpression.Attributes {
    /// The `[{name, value}]` array for `row`, or `nil` when there is no attribute to send.
    func build(_ row: SourceRow, zone: ZoneConverter?) -> Result<JSONValue?, ResolvedExpression.Miss> {
        typealias Miss = ResolvedExpression.Miss
        var names: [String] = []
        var values: [String] = []
        func add(_ name: String, _ value: SourceValue) -> Miss? {
            guard !names.contains(name) else { return nil }
            // Attribute values are text: lists and JSON are their JSON text before any step sees them.
            var current: SourceValue
            switch value {
            case .null: return nil
            case .json(let t): current = .string(t)
            case .stringArray(let items): current = .string(JSONValue.array(items.map { $0.map(JSONValue.string) ?? .null }).jsonString)
            default:
                switch FieldConverter.text(value, zone: zone) {
                case .success(let t): current = .string(t)
                case .failure(let problem):
                    var stops = false
                    if case .localTimestamp = value, zone == nil { stops = true }
                    return Miss(code: "conversion", message: "attribute '\(name)': \(problem.message)", stopsStream: stops)
                }
            }
            for step in steps {
                switch step.apply(current, zone: zone) {
                case .success(let v): current = v
                case .failure(let failure):
                    return Miss(code: "transform", message: "attribute '\(name)': \(step.name): \(failure.message)", stopsStream: failure.stopsStream)
                }
            }
            let text: String
            switch current {
            case .null: return nil
            case .string(let t), .json(let t): text = t
            case .stringArray(let items): text = JSONValue.array(items.map { $0.map(JSONValue.string) ?? .null }).jsonString
            default:
                switch FieldConverter.text(current, zone: zone) {
                case .success(let t): text = t
                case .failure(let problem): return Miss(code: "conversion", message: "attribute '\(name)': \(problem.message)")
                }
            }
            names.append(name)
            values.append(text)
            return nil
        }
        for (name, expression) in pairs {
            switch expression.evaluate(row, zone: zone) {
            case .success(let value): if let miss = add(name, value) { return .failure(miss) }
            case .failure(let miss): return .failure(Miss(code: miss.code, message: "attribute '\(name)': \(miss.message)", stopsStream: miss.stopsStream))
            }
        }
        if let object {
            let value: SourceValue
            switch object.evaluate(row, zone: zone) {
            case .success(let v): value = v
            case .failure(let miss): return .failure(miss)
            }
            switch value {
            case .null: break
            case .json(let text), .string(let text):
                guard case .object(let members)? = try? JSONParser.parse(text) else {
                    return .failure(Miss(code: "attributes", message: "attributes 'from_json' needs a JSON object, found other JSON or text"))
                }
                for (name, member) in members {
                    let memberValue: SourceValue = if case .string(let s) = member { .string(s) } else if case .null = member { .null } else { .json(member.jsonString) }
                    if let miss = add(name, memberValue) { return .failure(miss) }
                }
            default:
                return .failure(Miss(code: "attributes", message: "attributes 'from_json' needs a json/jsonb object, found \(value.kindName)"))
            }
        }
        if names.count > limit {
            switch overflow {
            case .reject:
                return .failure(Miss(code: "too-many-attributes",
                                     message: "the row has \(names.count) attributes; the API takes at most \(limit) (set 'overflow: truncate' to send the first \(limit))"))
            case .truncate:
                names.removeLast(names.count - limit)
                values.removeLast(values.count - limit)
            }
        }
        guard !names.isEmpty else { return .success(nil) }
        return .success(.array(zip(names, values).map { .object(JSONObject([("name", .string($0)), ("value", .string($1))])) }))
    }
}
