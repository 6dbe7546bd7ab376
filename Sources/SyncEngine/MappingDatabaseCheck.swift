import APIContract
public import Mapping
public import Postgres

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
                diagnostics += check(section, messages: messages, label: label, columns: description.columns)
            }
        }
        return diagnostics
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
