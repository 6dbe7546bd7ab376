import APIContract
import Foundation
import SyncCore
import Yams

/// Reads a mapping file and checks it against the API contract before anything can be sent.
///
/// Every problem is collected, not only the first, and each names the file, line, column, the field and
/// what was expected. The parser does no I/O: the caller reads the file.
public enum MappingParser {
    /// The newest format version this build reads.
    public static let currentVersion = 1

    /// Parses `text` (the contents of `path`) into a checked mapping file.
    ///
    /// - Throws: `MappingError` with every error and warning found, when there is at least one error.
    public static func parse(_ text: String, path: String) throws(MappingError) -> MappingFile {
        var checker = Checker(path: path)
        let file = checker.parse(text)
        if let file, !checker.diagnostics.contains(where: { $0.severity == .error }) {
            return MappingFile(path: file.path, version: file.version, streams: file.streams, warnings: checker.diagnostics)
        }
        throw MappingError(diagnostics: checker.sortedDiagnostics)
    }
}

/// The static checks, as one pass over the YAML node tree.
struct Checker {
    let path: String
    private(set) var diagnostics: [MappingDiagnostic] = []

    init(path: String) { self.path = path }

    var sortedDiagnostics: [MappingDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if (x.severity == .error) != (y.severity == .error) { return x.severity == .error }
            if x.location.line != y.location.line { return x.location.line < y.location.line }
            if x.location.column != y.location.column { return x.location.column < y.location.column }
            return a.offset < b.offset
        }.map(\.element)
    }

    // MARK: Reporting

    func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ code: String, _ node: Node?, _ message: String, notes: [String] = []) {
        diagnostics.append(MappingDiagnostic(.error, code: code, at: location(node), message, notes: notes))
    }

    mutating func warning(_ code: String, _ node: Node?, _ message: String, notes: [String] = []) {
        diagnostics.append(MappingDiagnostic(.warning, code: code, at: location(node), message, notes: notes))
    }

    // MARK: Structure helpers

    /// The pairs of a mapping node keyed by their scalar text; reports non-scalar and duplicate keys and
    /// keys outside `allowed`.
    mutating func members(of node: Node, context: String, allowed: [String]?) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error("expected-mapping", node, "\(context) must be a mapping of keys to values")
            return nil
        }
        var seen: [String: Node] = [:]
        var result: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("expected-scalar-key", keyNode, "keys of \(context) must be plain names")
                continue
            }
            let key = scalar.string
            if let first = seen[key] {
                error("duplicate-key", keyNode, "'\(key)' is given twice in \(context)",
                      notes: ["first given at line \(first.mark?.line ?? 0)"])
                continue
            }
            seen[key] = keyNode
            if let allowed, !allowed.contains(key) {
                error("unknown-key", keyNode, "unknown key '\(key)' in \(context); expected one of: \(allowed.joined(separator: ", "))",
                      notes: Suggestions.didYouMean(key, in: allowed))
                continue
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node, !isNull(node) else {
            error("expected-string", node, "\(what) must be a text value")
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node, _ what: String) -> Int? {
        guard case .scalar = node, let value = node.int else {
            error("expected-integer", node, "\(what) must be a whole number")
            return nil
        }
        return value
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A scalar as a source value: plain `null`/`true`/`false`/integers are typed, everything else is text.
    func scalarValue(_ node: Node) -> SourceValue? {
        guard case .scalar(let scalar) = node else { return nil }
        if scalar.style != .plain { return .string(scalar.string) }
        if isNull(node) { return .null }
        if let b = node.bool { return .bool(b) }
        if let i = Int64(scalar.string) { return .integer(i) }
        return .string(scalar.string)
    }

    // MARK: File

    struct ParsedFile {
        var path: String
        var version: Int
        var streams: [StreamMapping]
    }

    mutating func parse(_ text: String) -> ParsedFile? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                diagnostics.append(MappingDiagnostic(.error, code: "empty-file", at: SourceLocation(file: path, line: 1, column: 1),
                                                     "the mapping file is empty; expected 'version' and 'streams'"))
                return nil
            }
            root = node
        } catch {
            diagnostics.append(Checker.yamlDiagnostic(error, path: path))
            return nil
        }
        guard let top = members(of: root, context: "the mapping file", allowed: ["version", "streams"]) else { return nil }
        var version = MappingParser.currentVersion
        var streams: [StreamMapping] = []
        var sawStreams = false
        var sawVersion = false
        for (key, keyNode, value) in top {
            switch key {
            case "version":
                sawVersion = true
                if let v = integer(value, "'version'") {
                    if v != MappingParser.currentVersion {
                        error("unsupported-version", value, "mapping format version \(v) is not supported; this build reads version \(MappingParser.currentVersion)")
                    }
                    version = v
                }
            case "streams":
                sawStreams = true
                guard case .sequence(let items) = value, !items.isEmpty else {
                    error("expected-streams", value, "'streams' must be a list with at least one stream")
                    continue
                }
                var names: [String: Node] = [:]
                for item in items {
                    guard let stream = parseStream(item) else { continue }
                    if let first = names[stream.name] {
                        error("duplicate-stream", item["name"] ?? item, "stream name '\(stream.name)' is used twice",
                              notes: ["first used at line \(first.mark?.line ?? 0)"])
                    } else {
                        names[stream.name] = item["name"] ?? item
                    }
                    streams.append(stream)
                }
            default:
                _ = keyNode
            }
        }
        if !sawVersion { error("missing-key", root, "the mapping file must state 'version: \(MappingParser.currentVersion)'") }
        if !sawStreams { error("missing-key", root, "the mapping file must have 'streams'") }
        return ParsedFile(path: path, version: version, streams: streams)
    }

    static func yamlDiagnostic(_ error: any Error, path: String) -> MappingDiagnostic {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _),
                 .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let detail = context.map { "\(problem) \($0.text)" } ?? problem
                return MappingDiagnostic(.error, code: "yaml-syntax", at: SourceLocation(file: path, line: mark.line, column: mark.column),
                                         "YAML syntax: \(detail)")
            default:
                break
            }
        }
        return MappingDiagnostic(.error, code: "yaml-syntax", at: SourceLocation(file: path, line: 1, column: 1), "YAML syntax: \(error)")
    }

    // MARK: Streams

    static let streamKeys = ["name", "target", "delivery", "source", "batch_size", "fields"]
    static let sourceKeys = ["table", "query", "watermark", "key", "timezone"]

    mutating func parseStream(_ node: Node) -> StreamMapping? {
        guard let entries = members(of: node, context: "a stream", allowed: Checker.streamKeys) else { return nil }
        var name: String?
        var target: MappingTarget?
        var delivery = Delivery.many
        var source: SourceSpec?
        var batchSize: Int?
        var batchNode: Node?
        var fieldsNode: Node?
        for (key, _, value) in entries {
            switch key {
            case "name":
                if let s = string(value, "the stream's 'name'") {
                    if s.isEmpty || !s.unicodeScalars.allSatisfy(Checker.isNameScalar) {
                        error("invalid-name", value, "stream name '\(s)' may hold only letters, digits, '-', '_' and '.'")
                    } else {
                        name = s
                    }
                }
            case "target":
                if let s = string(value, "'target'") {
                    let names = MappingTarget.all.map(\.fileName)
                    if let t = MappingTarget.all.first(where: { $0.fileName == s }) {
                        target = t
                    } else {
                        error("unknown-target", value, "unknown target '\(s)'; expected one of: \(names.joined(separator: ", "))",
                              notes: Suggestions.didYouMean(s, in: names))
                    }
                }
            case "delivery":
                if let s = string(value, "'delivery'") {
                    if let d = Delivery(rawValue: s) {
                        delivery = d
                    } else {
                        error("invalid-value", value, "'delivery' must be 'many' (batches) or 'single' (one item per request), not '\(s)'")
                    }
                }
            case "source":
                source = parseSource(value)
            case "batch_size":
                batchNode = value
                batchSize = integer(value, "'batch_size'")
            case "fields":
                fieldsNode = value
            default:
                break
            }
        }
        for required in ["name", "target", "source", "fields"] where !entries.contains(where: { $0.key == required }) {
            error("missing-key", node, "the stream\(name.map { " '\($0)'" } ?? "") has no '\(required)'")
        }
        if let size = batchSize, let batchNode {
            let limit = APILimits.maxMetadataItems
            if size < 1 || size > limit {
                error("invalid-batch-size", batchNode, "'batch_size' must be between 1 and \(limit) (the API's item limit), not \(size)")
                batchSize = nil
            } else if delivery == .single {
                warning("ignored-key", batchNode, "'batch_size' has no effect with 'delivery: single'")
            }
        }
        guard let target, let fieldsNode else { return nil }
        let fields = parseFields(fieldsNode, target: target)
        guard let name, let source, let fields else { return nil }
        return StreamMapping(name: name, target: target, delivery: delivery, source: source, batchSize: batchSize,
                             fields: fields, location: location(node))
    }

    static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_" || s == ".")
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || $0.properties.numericType != nil }
            && s.utf8.count <= 63
    }

    mutating func parseSource(_ node: Node) -> SourceSpec? {
        guard let entries = members(of: node, context: "'source'", allowed: Checker.sourceKeys) else { return nil }
        var relation: SourceSpec.Relation?
        var watermark: (String, Node)?
        var key: (String, Node)?
        var timezone: String?
        let hasTable = entries.contains { $0.key == "table" }
        let hasQuery = entries.contains { $0.key == "query" }
        if hasTable == hasQuery {
            error(hasTable ? "conflicting-keys" : "missing-key", node,
                  "'source' needs exactly one of 'table' (a table or view name) or 'query' (a SELECT statement)")
        }
        for (k, _, value) in entries {
            switch k {
            case "table":
                guard let s = string(value, "'table'") else { continue }
                let parts = s.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                if parts.count > 2 || !parts.allSatisfy(Checker.isIdentifier) {
                    error("invalid-table", value, "'table' must be a table name or schema.table, each part a plain SQL identifier; use 'query' for anything else")
                } else if !hasQuery {
                    relation = .table(parts)
                }
            case "query":
                guard let s = string(value, "'query'") else { continue }
                let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
                let body = trimmed.hasSuffix(";") ? String(trimmed.dropLast()) : trimmed
                let lowered = body.lowercased()
                if !(lowered.hasPrefix("select") || lowered.hasPrefix("with") || lowered.hasPrefix("table") || lowered.hasPrefix("values")) {
                    error("invalid-query", value, "'query' must be a single SELECT (or WITH … SELECT) statement")
                } else if body.contains(";") {
                    error("invalid-query", value, "'query' must be a single statement; remove the ';' inside it")
                } else if !hasTable {
                    relation = .query(body)
                }
            case "watermark":
                if let s = string(value, "'watermark'") { watermark = (s, value) }
            case "key":
                if let s = string(value, "'key'") { key = (s, value) }
            case "timezone":
                if let s = string(value, "'timezone'") {
                    if TimeZone(identifier: s) == nil {
                        error("unknown-timezone", value, "unknown time zone '\(s)'; use an IANA name such as 'UTC' or 'America/New_York'")
                    } else {
                        timezone = s
                    }
                }
            default:
                break
            }
        }
        if watermark == nil {
            error("missing-key", node, "'source' needs 'watermark': a column that grows whenever a row is written (e.g. updated_at)")
        }
        if key == nil {
            error("missing-key", node, "'source' needs 'key': a unique column that orders rows sharing one watermark value (e.g. id)")
        }
        if let watermark, let key, watermark.0 == key.0 {
            warning("key-is-watermark", key.1, "'key' is the watermark column itself; that is only right when the watermark is unique")
        }
        guard let relation, let watermark, let key else { return nil }
        return SourceSpec(relation: relation, watermark: watermark.0, key: key.0, timezone: timezone,
                          watermarkLocation: location(watermark.1), keyLocation: location(key.1))
    }

    // MARK: Fields

    static let fieldKeys = ["column", "const", "map", "default"]

    mutating func parseFields(_ node: Node, target: MappingTarget) -> [FieldMapping]? {
        let schema: ObjectSchema = switch target {
        case .metadata(let entity): entity.itemSchema
        }
        guard let entries = members(of: node, context: "'fields'", allowed: nil) else { return nil }
        var fields: [FieldMapping] = []
        for (name, keyNode, value) in entries {
            guard let spec = schema.field(named: name) else {
                error("unknown-field", keyNode, "'\(name)' is not a field of \(target.fileName) items",
                      notes: Suggestions.didYouMean(name, in: schema.fieldNames)
                          + ["fields of \(target.fileName) items: \(schema.fieldNames.joined(separator: ", "))"])
                continue
            }
            if let field = parseField(value, spec: spec, keyNode: keyNode) { fields.append(field) }
        }
        for required in schema.requiredFields where !entries.contains(where: { $0.key == required.name }) {
            error("missing-field", node, "required field '\(required.name)' of \(target.fileName) items is not mapped")
        }
        return fields
    }

    mutating func parseField(_ node: Node, spec: FieldSpec, keyNode: Node) -> FieldMapping? {
        guard Checker.isMappable(spec.type) else {
            error("unsupported-field", keyNode, "field '\(spec.name)' (\(Checker.typeName(spec.type))) cannot be mapped in format version \(MappingParser.currentVersion)")
            return nil
        }
        guard let entries = members(of: node, context: "field '\(spec.name)'", allowed: Checker.fieldKeys) else { return nil }
        let get = { (k: String) in entries.first { $0.key == k } }
        let column = get("column")
        let constant = get("const")
        let map = get("map")
        let fallback = get("default")
        if (column == nil) == (constant == nil) {
            error(column == nil ? "missing-key" : "conflicting-keys", node,
                  "field '\(spec.name)' needs exactly one of 'column' (a source column) or 'const' (a fixed value)")
            return nil
        }
        if map != nil, column == nil {
            error("invalid-key", map!.keyNode, "'map' translates a column's values; field '\(spec.name)' has no 'column'")
            return nil
        }
        if let constant {
            if fallback != nil { warning("ignored-key", fallback!.keyNode, "'default' has no effect on a constant") }
            guard let value = scalarValue(constant.value) else {
                error("expected-scalar", constant.value, "'const' of field '\(spec.name)' must be a single value")
                return nil
            }
            checkValue(value, spec: spec, at: constant.value, what: "constant")
            return FieldMapping(name: spec.name, spec: spec, expression: .constant(value), location: location(keyNode))
        }
        guard let column, let columnName = string(column.value, "'column' of field '\(spec.name)'") else { return nil }
        var expression = ValueExpression.column(columnName, location(column.value))
        var defaultValue: SourceValue?
        if let fallback {
            guard let value = scalarValue(fallback.value) else {
                error("expected-scalar", fallback.value, "'default' of field '\(spec.name)' must be a single value")
                return nil
            }
            if !value.isNull { checkValue(value, spec: spec, at: fallback.value, what: "default") }
            if value.isNull && spec.required {
                error("invalid-default", fallback.value, "field '\(spec.name)' is required, so its 'default' cannot be null")
            }
            defaultValue = value
        }
        if let map {
            guard let pairs = members(of: map.value, context: "the 'map' of field '\(spec.name)'", allowed: nil) else { return nil }
            var entries: [String: SourceValue] = [:]
            for (from, _, toNode) in pairs {
                guard let to = scalarValue(toNode) else {
                    error("expected-scalar", toNode, "map entry '\(from)' of field '\(spec.name)' must map to a single value")
                    continue
                }
                if !to.isNull { checkValue(to, spec: spec, at: toNode, what: "map entry '\(from)'") }
                entries[from] = to
            }
            expression = .valueMap(expression, entries: entries,
                                   fallback: defaultValue.map(MapFallback.value) ?? .reject, location(map.keyNode))
            defaultValue = nil
        }
        if let defaultValue {
            // A plain column with a default: only NULL is replaced.
            expression = .coalesce([expression, .constant(defaultValue)])
        }
        return FieldMapping(name: spec.name, spec: spec, expression: expression, location: location(keyNode))
    }

    /// Checks a fixed value against the field's contract now, so a bad constant fails before any run.
    mutating func checkValue(_ value: SourceValue, spec: FieldSpec, at node: Node, what: String) {
        switch FieldConverter.convert(value, to: spec, zone: nil) {
        case .failure(let problem):
            error("invalid-value", node, "\(what) of field '\(spec.name)': \(problem.message)")
        case .success(let json):
            for violation in ContractValidator.validateField(json, spec: spec, path: spec.name) {
                error("invalid-value", node, "\(what) of field '\(spec.name)': \(violation.message)",
                      notes: Checker.enumNote(spec: spec, value: value))
            }
        }
    }

    static func enumNote(spec: FieldSpec, value: SourceValue) -> [String] {
        guard case .enumeration(let cases) = spec.type else { return [] }
        return Suggestions.didYouMean(value.sqlText ?? "", in: cases) + ["allowed values: \(cases.joined(separator: ", "))"]
    }

    static func isMappable(_ type: FieldType) -> Bool {
        switch type {
        case .string, .enumeration, .stringArray, .integer, .dateTime, .email: true
        case .attributes, .object, .stringMap, .objectArray: false
        }
    }

    static func typeName(_ type: FieldType) -> String {
        switch type {
        case .string: "text"
        case .enumeration: "enumeration"
        case .stringArray: "list of text"
        case .integer: "integer"
        case .dateTime: "date-time"
        case .email: "email"
        case .attributes: "attributes"
        case .object: "object"
        case .stringMap: "map of text"
        case .objectArray: "list of objects"
        }
    }
}
