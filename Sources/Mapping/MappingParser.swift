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
    /// `${NAME}` references in values are filled from `environment` (the caller reads the process
    /// environment; the parser does no I/O). An unset variable is an error naming it.
    ///
    /// - Throws: `MappingError` with every error and warning found, when there is at least one error.
    public static func parse(_ text: String, path: String, environment: [String: String] = [:]) throws(MappingError) -> MappingFile {
        var checker = Checker(path: path, environment: environment)
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
    /// Values for `${NAME}` references.
    let environment: [String: String]
    private(set) var diagnostics: [MappingDiagnostic] = []

    init(path: String, environment: [String: String] = [:]) {
        self.path = path
        self.environment = environment
    }

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
            root = prepare(node)
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

    static let streamKeys = ["name", "target", "delivery", "source", "batch_size", "fields", "conversations", "messages"]
    static let relationKeys = ["table", "query", "watermark", "key", "timezone"]
    /// A messages source reads in its own ordered pass (conversation, order, key), so it has no `read`.
    static let sourceKeys = relationKeys + ["read"]
    static let sectionKeys = ["source", "batch_size", "fields"]
    static let messageSourceKeys = relationKeys + ["conversation", "order"]

    mutating func parseStream(_ node: Node) -> StreamMapping? {
        guard let entries = members(of: node, context: "a stream", allowed: Checker.streamKeys) else { return nil }
        let get = { (k: String) in entries.first { $0.key == k } }
        var name: String?
        var target: MappingTarget?
        var delivery = Delivery.many
        if let n = get("name"), let s = string(n.value, "the stream's 'name'") {
            if s.isEmpty || !s.unicodeScalars.allSatisfy(Checker.isNameScalar) {
                error("invalid-name", n.value, "stream name '\(s)' may hold only letters, digits, '-', '_' and '.'")
            } else {
                name = s
            }
        }
        if let t = get("target"), let s = string(t.value, "'target'") {
            let names = MappingTarget.all.map(\.fileName)
            if let found = MappingTarget.all.first(where: { $0.fileName == s }) {
                target = found
            } else {
                error("unknown-target", t.value, "unknown target '\(s)'; expected one of: \(names.joined(separator: ", "))",
                      notes: Suggestions.didYouMean(s, in: names))
            }
        }
        if let d = get("delivery"), let s = string(d.value, "'delivery'") {
            if let value = Delivery(rawValue: s) {
                delivery = value
            } else {
                error("invalid-value", d.value, "'delivery' must be 'many' (batches) or 'single' (one item per request), not '\(s)'")
            }
        }
        for required in ["name", "target"] where get(required) == nil {
            error("missing-key", node, "the stream\(name.map { " '\($0)'" } ?? "") has no '\(required)'")
        }
        guard let target else { return nil }
        let label = name.map { "stream '\($0)'" } ?? "the stream"
        switch target {
        case .metadata(let entity):
            for key in ["conversations", "messages"] {
                if let misplaced = get(key) {
                    error("invalid-key", misplaced.keyNode, "'\(key)' belongs to transcripts streams; \(target.fileName) streams have 'source' and 'fields'")
                }
            }
            let main = parseSection(node, entries: entries, schema: entity.itemSchema, context: label,
                                    sourceKeys: Checker.sourceKeys, maxBatch: APILimits.maxMetadataItems,
                                    batchIgnored: delivery == .single)
            guard let name, let main else { return nil }
            return StreamMapping(name: name, target: target, delivery: delivery, main: main.section, messages: nil, location: location(node))
        case .transcripts:
            for key in ["source", "fields", "batch_size", "delivery"] {
                if let misplaced = get(key) {
                    error("invalid-key", misplaced.keyNode, "a transcripts stream declares '\(key)' inside 'conversations' and 'messages', not at its top")
                }
            }
            var conversations: ParsedSection?
            var messages: ParsedSection?
            if let c = get("conversations") {
                if let sub = members(of: c.value, context: "'conversations'", allowed: Checker.sectionKeys) {
                    conversations = parseSection(c.value, entries: sub, schema: Schemas.conversationCreate,
                                                 context: "'conversations' of \(label)", sourceKeys: Checker.sourceKeys,
                                                 maxBatch: nil, batchIgnored: false)
                }
            } else {
                error("missing-key", node, "\(label) (transcripts) needs 'conversations': how a row becomes a conversation")
            }
            if let m = get("messages") {
                if let sub = members(of: m.value, context: "'messages'", allowed: Checker.sectionKeys) {
                    messages = parseSection(m.value, entries: sub, schema: Schemas.message, context: "'messages' of \(label)",
                                            sourceKeys: Checker.messageSourceKeys, maxBatch: APILimits.maxMessagesPerBatch,
                                            batchIgnored: false)
                }
            } else {
                error("missing-key", node, "\(label) (transcripts) needs 'messages': how a row becomes a message")
            }
            guard let name, let conversations, let messages else { return nil }
            guard let conversationColumn = messages.extra["conversation"], let orderColumn = messages.extra["order"] else {
                for key in ["conversation", "order"] where messages.extra[key] == nil {
                    error("missing-key", messages.sourceNode,
                          key == "conversation"
                              ? "the messages' 'source' needs 'conversation': the column holding the key of the message's conversation"
                              : "the messages' 'source' needs 'order': the column that orders a conversation's messages (e.g. sent_at)")
                }
                return nil
            }
            let spec = MessagesMapping(section: messages.section, conversationColumn: conversationColumn.value,
                                       orderColumn: orderColumn.value, conversationLocation: location(conversationColumn.node),
                                       orderLocation: location(orderColumn.node))
            return StreamMapping(name: name, target: target, delivery: .many, main: conversations.section, messages: spec,
                                 location: location(node))
        }
    }

    struct ParsedSection {
        var section: MappingSection
        /// Source keys beyond the common ones (`conversation`, `order`), with their nodes.
        var extra: [String: (value: String, node: Node)]
        var sourceNode: Node
    }

    /// A `source` + `fields` (+ `batch_size`) block, checked against `schema`.
    mutating func parseSection(_ node: Node, entries: [(key: String, keyNode: Node, value: Node)], schema: ObjectSchema,
                               context: String, sourceKeys: [String], maxBatch: Int?, batchIgnored: Bool) -> ParsedSection? {
        let get = { (k: String) in entries.first { $0.key == k } }
        var source: SourceSpec?
        var extra: [String: (value: String, node: Node)] = [:]
        var batchSize: Int?
        if let s = get("source") {
            source = parseSource(s.value, allowed: sourceKeys)
            if sourceKeys == Checker.messageSourceKeys, let sub = s.value.mapping {
                for (k, v) in sub {
                    guard let key = k.string, !Checker.relationKeys.contains(key), sourceKeys.contains(key),
                          let text = string(v, "'\(key)'") else { continue }
                    extra[key] = (text, v)
                }
            }
        } else {
            error("missing-key", node, "\(context) has no 'source'")
        }
        if let b = get("batch_size"), let size = integer(b.value, "'batch_size'") {
            if let maxBatch, size < 1 || size > maxBatch {
                error("invalid-batch-size", b.value, "'batch_size' must be between 1 and \(maxBatch) (the API's limit), not \(size)")
            } else if maxBatch == nil {
                warning("ignored-key", b.keyNode, "'batch_size' has no effect here: each item is its own request")
            } else if batchIgnored {
                warning("ignored-key", b.value, "'batch_size' has no effect with 'delivery: single'")
            } else {
                batchSize = size
            }
        }
        var fields: [FieldMapping]?
        if let f = get("fields") {
            fields = parseFields(f.value, schema: schema)
        } else {
            error("missing-key", node, "\(context) has no 'fields'")
        }
        guard let source, let fields, let sourceNode = get("source")?.value else { return nil }
        return ParsedSection(section: MappingSection(source: source, batchSize: batchSize, fields: fields, schema: schema,
                                                     location: location(node)),
                             extra: extra, sourceNode: sourceNode)
    }

    static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_" || s == ".")
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || $0.properties.numericType != nil }
            && s.utf8.count <= 63
    }

    mutating func parseSource(_ node: Node, allowed: [String] = Checker.sourceKeys) -> SourceSpec? {
        guard let entries = members(of: node, context: "'source'", allowed: allowed) else { return nil }
        var relation: SourceSpec.Relation?
        var watermark: (String, Node)?
        var key: (String, Node)?
        var timezone: String?
        var read = SourceSpec.ReadMode.keyset
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
            case "read":
                if let s = string(value, "'read'") {
                    if let mode = SourceSpec.ReadMode(rawValue: s) {
                        read = mode
                    } else {
                        error("invalid-read", value, "'read' must be keyset (pages, each its own statement) or cursor (one statement, fetched in pages), not '\(s)'")
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
                          watermarkLocation: location(watermark.1), keyLocation: location(key.1), read: read)
    }

    // MARK: Fields

    /// What the items of `schema` are called in messages (`conversation-metadata items`, `messages`).
    static func itemsName(_ schema: ObjectSchema) -> String {
        for entity in MetadataEntity.allCases where entity.itemSchema.name == schema.name { return "\(entity.fileName)-metadata items" }
        if schema.name == Schemas.conversationCreate.name { return "conversations" }
        if schema.name == Schemas.message.name { return "messages" }
        return "\(schema.name) items"
    }

    /// The field a dotted name denotes: `customer.externalId` walks into the `customer` object;
    /// `metadata.channel` names a pair of the `metadata` map.
    mutating func resolve(_ name: String, in schema: ObjectSchema, keyNode: Node) -> (path: [String], spec: FieldSpec)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var current = schema
        var path: [String] = []
        for (i, part) in parts.enumerated() {
            let isLast = i == parts.count - 1
            let prefix = path.isEmpty ? "" : path.joined(separator: ".") + "."
            guard let spec = current.field(named: part) else {
                let container = path.isEmpty ? Checker.itemsName(schema) : "'\(path.joined(separator: "."))'"
                let suggestion = Suggestions.closest(to: part, in: current.fieldNames).map { ["did you mean '\(prefix)\($0)'?"] } ?? []
                error("unknown-field", keyNode, "'\(name)' is not a field of \(container)",
                      notes: suggestion + ["fields of \(container): \(current.fieldNames.joined(separator: ", "))"])
                return nil
            }
            path.append(part)
            switch spec.type {
            case .object(let sub):
                if isLast {
                    error("unsupported-field", keyNode, "'\(name)' is an object; map its members instead: \(sub.fieldNames.map { "\(name).\($0)" }.joined(separator: ", "))")
                    return nil
                }
                current = sub
            case .stringMap:
                guard i == parts.count - 2, !parts[i + 1].isEmpty else {
                    error("unsupported-field", keyNode, "'\(part)' holds text pairs; map each as '\(part).NAME'")
                    return nil
                }
                let key = parts[i + 1]
                return (path + [key], FieldSpec(key, .string(pattern: nil, maxLength: nil, minLength: nil), summary: "a metadata pair"))
            default:
                if !isLast {
                    error("unknown-field", keyNode, "'\(path.joined(separator: "."))' has no members; '\(name)' does not exist")
                    return nil
                }
                return (path, spec)
            }
        }
        return nil
    }

    mutating func parseFields(_ node: Node, schema: ObjectSchema) -> [FieldMapping]? {
        guard let entries = members(of: node, context: "'fields'", allowed: nil) else { return nil }
        var fields: [FieldMapping] = []
        for (name, keyNode, value) in entries {
            guard let (path, spec) = resolve(name, in: schema, keyNode: keyNode) else { continue }
            if var field = parseField(value, spec: spec, keyNode: keyNode) {
                field.path = path
                fields.append(field)
            }
        }
        let mapped = Set(entries.map(\.key))
        func checkRequired(_ schema: ObjectSchema, prefix: String, objectMapped: Bool) {
            for field in schema.fields {
                let name = prefix + field.name
                if case .object(let sub) = field.type {
                    let anyMember = mapped.contains { $0.hasPrefix(name + ".") }
                    if field.required || anyMember { checkRequired(sub, prefix: name + ".", objectMapped: true) }
                } else if field.required, objectMapped, !mapped.contains(name) {
                    error("missing-field", node, "required field '\(name)' of \(Checker.itemsName(schema)) is not mapped")
                }
            }
        }
        checkRequired(schema, prefix: "", objectMapped: true)
        return fields
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
