import APIContract
import Extractor
public import Mapping
public import Postgres
import SyncCore

/// Checks a mapping file against the source database without running it: every stream's relation is
/// prepared and described (never executed), and every column the mapping names must exist with a type
/// that fits where it goes.
public enum MappingDatabaseCheck {
    /// The problems found, as compiler-style diagnostics at the mapping's lines.
    public static func check(_ mapping: MappingFile, connection: PostgresConnection) async -> [MappingDiagnostic] {
        var diagnostics: [MappingDiagnostic] = []
        for stream in mapping.streams {
            var sections: [(String, MappingSection, MessagesMapping?)] = [(stream.name, stream.main, nil)]
            if let messages = stream.messages { sections.append(("\(stream.name) (messages)", messages.section, messages)) }
            for (label, section, messages) in sections {
                let description: PostgresStatementDescription
                do {
                    description = try await connection.describe("SELECT * FROM \(section.source.relationSQL) AS src")
                } catch let error as PostgresError {
                    diagnostics.append(MappingDiagnostic(.error, code: "source-invalid", at: section.location,
                                                         "the source of stream \(label) cannot be prepared: \(error)"))
                    continue
                } catch {
                    diagnostics.append(MappingDiagnostic(.error, code: "source-invalid", at: section.location,
                                                         "the source of stream \(label) cannot be prepared: \(error)"))
                    continue
                }
                let found = check(section, messages: messages, label: label, columns: description.columns)
                diagnostics += found
                if messages == nil, section.source.read == .keyset, !found.contains(where: { $0.severity == .error }),
                   let warning = await keysetPlanWarning(section, label: label, connection: connection) {
                    diagnostics.append(warning)
                }
            }
        }
        return diagnostics
    }

    /// Above this many rows, a keyset page that sorts the whole source is worth a warning: with the default
    /// page of 5,000 rows, reading them costs at least four full sorts, and the count grows with the rows.
    static let sortedPageWarningRows = 20_000

    /// A warning when PostgreSQL's plan for a keyset page sorts the whole source (no index serves
    /// `ORDER BY watermark, key`), so that every page repeats the sort: the case for an index or for
    /// `read: cursor`. Uses `EXPLAIN` without `ANALYZE`: nothing is executed. `nil` when the plan reads in
    /// order, the source is small, or the plan cannot be had.
    static func keysetPlanWarning(_ section: MappingSection, label: String, connection: PostgresConnection) async -> MappingDiagnostic? {
        let source = section.source
        let order = "src.\(SourceSpec.quoteIdentifier(source.watermark)), src.\(SourceSpec.quoteIdentifier(source.key))"
        let sql = "EXPLAIN (FORMAT JSON) SELECT * FROM \(source.relationSQL) AS src ORDER BY \(order) LIMIT \(WatermarkExtractor.defaultPageSize)"
        guard let text = try? await connection.query(sql).rows.first?.decode(String?.self, at: 0),
              let plan = try? JSONParser.parse(Array(text.utf8)),
              let rows = wholeSortRows(plan), rows >= sortedPageWarningRows else { return nil }
        return MappingDiagnostic(.warning, code: "sorted-pages", at: source.watermarkLocation,
                                 "every keyset page of stream \(label) sorts its whole source (about \(rows) rows): no index serves ORDER BY \(source.watermark), \(source.key)",
                                 notes: ["add an index on (\(source.watermark), \(source.key)) where the watermark is a column of one table, or read the source with 'read: cursor' (one sort per run)"])
    }

    /// The estimated rows of the sort under the plan's `Limit` when the rows are sorted in full there
    /// (a `Sort`, possibly under `Gather Merge`); `nil` when they come in order (an index, an incremental sort).
    static func wholeSortRows(_ explain: JSONValue) -> Int? {
        guard case .array(let statements) = explain, let top = statements.first?["Plan"],
              top["Node Type"]?.stringValue == "Limit",
              case .array(let children)? = top["Plans"], var node = children.first else { return nil }
        while node["Node Type"]?.stringValue == "Gather Merge", case .array(let below)? = node["Plans"], let next = below.first {
            node = next
        }
        guard node["Node Type"]?.stringValue == "Sort", let rows = node["Plan Rows"] else { return nil }
        switch rows {
        case .int(let n): return Int(n)
        case .double(let d): return Int(d)
        default: return nil
        }
    }

    static func check(_ section: MappingSection, messages: MessagesMapping?, label: String, columns: [PostgresColumn]) -> [MappingDiagnostic] {
        var out: [MappingDiagnostic] = []
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func lookup(_ name: String, at location: SourceLocation, role: String) -> PostgresColumn? {
            if let column = byName[name] { return column }
            let hint = Suggestions.closest(to: name, in: columns.map(\.name)).map { ["did you mean '\($0)'?"] } ?? []
            out.append(MappingDiagnostic(.error, code: "unknown-column", at: location,
                                         "\(role) '\(name)' is not in stream \(label)'s source",
                                         notes: hint + ["columns: \(columns.map(\.name).joined(separator: ", "))"]))
            return nil
        }
        let source = section.source
        for (name, location, role) in [(source.watermark, source.watermarkLocation, "watermark"), (source.key, source.keyLocation, "key")] {
            guard let column = lookup(name, at: location, role: role) else { continue }
            if isArray(column) || isJSON(column) {
                out.append(MappingDiagnostic(.error, code: "column-type", at: location,
                                             "\(role) '\(name)' is \(column.typeName), which has no useful order; use a timestamp, a number or text"))
            }
        }
        if let messages {
            _ = lookup(messages.conversationColumn, at: messages.conversationLocation, role: "conversation column")
            _ = lookup(messages.orderColumn, at: messages.orderLocation, role: "order column")
        }
        for field in section.fields {
            for (name, location) in field.expression.columns {
                guard let column = lookup(name, at: location, role: "column") else { continue }
                if let problem = mismatch(field, column: column, timezone: source.timezone) {
                    out.append(MappingDiagnostic(.error, code: "column-type", at: location,
                                                 "field '\(field.name)' reads column '\(name)' (\(column.typeName)): \(problem)"))
                }
            }
        }
        return out
    }

    /// Why a column read directly (possibly through a value map) cannot fill a field; `nil` when it can.
    /// Columns inside templates, transforms, conditions and JSON paths are converted per row and checked there.
    static func mismatch(_ field: FieldMapping, column: PostgresColumn, timezone: String?) -> String? {
        guard isDirect(field.expression) else {
            if case .json(let inner, _, _) = field.expression, isDirect(inner), !isJSON(column), !isText(column) {
                return "a JSON path needs a json, jsonb or text column"
            }
            return nil
        }
        switch field.spec.type {
        case .string, .enumeration, .email, .integer:
            if isArray(column) { return "a list cannot fill a single-value field; add a 'join' step or pick one element" }
            if isJSON(column) { return "JSON cannot fill a single-value field; read a value with 'json: { column, path }'" }
        case .dateTime:
            if isArray(column) || isJSON(column) { return "expected a date-time" }
            if column.typeName == "timestamp" && timezone == nil {
                return "a timestamp without time zone needs 'timezone' under the stream's 'source'"
            }
        case .stringArray:
            if isJSON(column) { return "expected a list or text" }
        case .attributes, .object, .stringMap, .objectArray:
            break
        }
        return nil
    }

    /// A plain column, or a column through a value map or a default.
    static func isDirect(_ e: ValueExpression) -> Bool {
        switch e {
        case .column: true
        case .valueMap(let inner, _, _, _): isDirect(inner)
        case .coalesce(let parts): parts.first.map(isDirect) ?? false
        default: false
        }
    }

    static func isArray(_ c: PostgresColumn) -> Bool { c.typeName.hasSuffix("[]") || c.typeName.hasPrefix("_") }
    static func isJSON(_ c: PostgresColumn) -> Bool { c.typeName == "json" || c.typeName == "jsonb" }
    static func isText(_ c: PostgresColumn) -> Bool { ["text", "varchar", "character varying", "bpchar", "character", "name", "citext"].contains(c.typeName) }
}
