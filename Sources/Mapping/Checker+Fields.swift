import APIContract
import Foundation
import SyncCore
import Yams

/// Fields: a source expression, its transform steps, then `map`, `default` and `if_empty`.
extension Checker {
    /// The keys that say where a value comes from; an expression has exactly one.
    static let sourceKinds = ["column", "const", "template", "json", "coalesce", "when"]
    /// Keys any expression may have (nested ones too).
    static let expressionKeys = sourceKinds + ["else", "transform"]
    /// Keys of a field: an expression plus what applies to the field's final value.
    static let fieldKeys = expressionKeys + ["map", "default", "if_empty"]
    /// The conditions a `when` clause can test.
    static let whenTests = ["equals", "not_equals", "in", "is_null", "matches"]
    /// Keys of the `attributes` field.
    static let attributesKeys = ["pairs", "from_json", "transform", "overflow"]

    /// What a checked expression is known to give, as far as the file alone tells.
    enum Shape {
        /// A single value (text, number, time).
        case single
        /// A list of text.
        case list
        /// Whatever the column holds (column types are only known when rows arrive).
        case unknown

        func merged(_ other: Shape) -> Shape { self == other ? self : .unknown }
    }

    mutating func parseField(_ node: Node, spec: FieldSpec, keyNode: Node) -> FieldMapping? {
        if case .attributes = spec.type {
            return parseAttributes(node, spec: spec, keyNode: keyNode)
        }
        guard Checker.isMappable(spec.type) else {
            error("unsupported-field", keyNode, "field '\(spec.name)' (\(Checker.typeName(spec.type))) cannot be mapped in format version \(MappingParser.currentVersion)")
            return nil
        }
        // `eventId: none` sends no event id, so the service generates one.
        if spec.name == "eventId", case .scalar = node {
            guard node.string == "none" else {
                error("invalid-value", node, "'eventId' is '{ column: … }' (or any expression), or 'none' to let the service generate one",
                      notes: ["leave 'eventId' out to send a deterministic id derived from the stream, key and watermark"])
                return nil
            }
            return FieldMapping(path: [spec.name], spec: spec, expression: .constant(.null), ifEmpty: .none, location: location(keyNode))
        }
        guard let entries = members(of: node, context: "field '\(spec.name)'", allowed: Checker.fieldKeys) else { return nil }
        let get = { (k: String) in entries.first { $0.key == k } }
        let map = get("map")
        let fallback = get("default")
        var ifEmpty = EmptyPolicy.none
        if let e = get("if_empty") { ifEmpty = parseEmptyPolicy(e.value, spec: spec) ?? .none }
        let kinds = entries.filter { Checker.sourceKinds.contains($0.key) }
        if kinds.count != 1 {
            error(kinds.isEmpty ? "missing-key" : "conflicting-keys", node,
                  "field '\(spec.name)' needs exactly one of 'column' (a source column) or 'const' (a fixed value), or 'template', 'json', 'coalesce', 'when'")
            return nil
        }
        if let map, kinds.first?.key == "const" {
            error("invalid-key", map.keyNode, "'map' translates values read from the row; field '\(spec.name)' has a 'const', which needs none")
            return nil
        }
        if let fallback, kinds.first?.key == "const" {
            warning("ignored-key", fallback.keyNode, "'default' has no effect on a constant")
        }
        // Constants are checked after the steps that follow them; a `map` replaces them, so its entries
        // are checked instead.
        guard var (expression, shape) = parseExpression(node, entries: entries, spec: map == nil ? spec : nil, pendingSteps: [],
                                                        what: "field '\(spec.name)'") else { return nil }
        var defaultValue: SourceValue?
        if let fallback, kinds.first?.key != "const" {
            guard let value = constantValue(fallback.value) else {
                error("expected-scalar", fallback.value, "'default' of field '\(spec.name)' must be a single value or a list of values")
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
            var table: [String: SourceValue] = [:]
            for (from, _, toNode) in pairs {
                guard let to = constantValue(toNode) else {
                    error("expected-scalar", toNode, "map entry '\(from)' of field '\(spec.name)' must map to a single value")
                    continue
                }
                if !to.isNull { checkValue(to, spec: spec, at: toNode, what: "map entry '\(from)'") }
                table[from] = to
            }
            if shape == .list {
                error("invalid-key", map.keyNode, "'map' looks up one value; the value of field '\(spec.name)' is a list here")
            }
            expression = .valueMap(expression, entries: table, fallback: defaultValue.map(MapFallback.value) ?? .reject, location(map.keyNode))
            shape = table.values.contains { if case .stringArray = $0 { true } else { false } } ? .unknown : .single
            defaultValue = nil
        }
        if let defaultValue {
            // Only NULL is replaced: an empty text is a value (see `if_empty`).
            expression = .coalesce([expression, .constant(defaultValue)])
        }
        if shape == .list, !Checker.takesList(spec.type) {
            error("type-mismatch", keyNode, "field '\(spec.name)' takes \(Checker.typeName(spec.type)), but its value is a list of text",
                  notes: ["add '- { join: \", \" }' to the transform, or map a single value"])
        }
        for (column, _) in expression.columns where SecretHeuristics.nameLooksSecret(column) {
            warning("secret-column", keyNode,
                    "field '\(spec.name)' reads column '\(column)', which by its name holds a secret; everything mapped is sent to the API and kept there")
        }
        return FieldMapping(path: [spec.name], spec: spec, expression: expression, ifEmpty: ifEmpty, location: location(keyNode))
    }

    /// An expression: a mapping with exactly one source key and optional `transform` (and `else` with
    /// `when`), or, where `allowShorthand` says so, a plain value meaning a constant.
    ///
    /// `spec` is the field whose contract constants must meet after `pendingSteps` (the steps that will
    /// run after this expression); `nil` skips the check (a `map` follows).
    mutating func parseExpression(_ node: Node, spec: FieldSpec?, pendingSteps: [TransformStep], what: String,
                                  allowShorthand: Bool = true) -> (ValueExpression, Shape)? {
        if allowShorthand, node.mapping == nil {
            guard let value = constantValue(node) else {
                error("expected-expression", node, "\(what) must be a value or an expression such as { column: name }")
                return nil
            }
            if let spec { checkConstant(value, through: pendingSteps, spec: spec, at: node, what: "constant of \(what)") }
            return (.constant(value), Checker.shape(of: value))
        }
        guard let entries = members(of: node, context: what, allowed: Checker.expressionKeys) else { return nil }
        let kinds = entries.filter { Checker.sourceKinds.contains($0.key) }
        if kinds.count != 1 {
            error(kinds.isEmpty ? "missing-key" : "conflicting-keys", node,
                  "\(what) needs exactly one of: \(Checker.sourceKinds.joined(separator: ", "))")
            return nil
        }
        return parseExpression(node, entries: entries, spec: spec, pendingSteps: pendingSteps, what: what)
    }

    /// The expression of already-read `entries` (which hold exactly one source key).
    mutating func parseExpression(_ node: Node, entries: [(key: String, keyNode: Node, value: Node)], spec: FieldSpec?,
                                  pendingSteps: [TransformStep], what: String) -> (ValueExpression, Shape)? {
        let get = { (k: String) in entries.first { $0.key == k } }
        guard let source = entries.first(where: { Checker.sourceKinds.contains($0.key) }) else { return nil }
        var steps: [TransformStep] = []
        if let t = get("transform") {
            guard let parsed = parseSteps(t.value) else { return nil }
            steps = parsed
        }
        let after = steps + pendingSteps
        if let otherwise = get("else"), source.key != "when" {
            error("invalid-key", otherwise.keyNode, "'else' belongs to 'when'; \(what) has '\(source.key)'")
        }
        var shape = Shape.unknown
        let expression: ValueExpression
        switch source.key {
        case "column":
            guard let name = string(source.value, "'column' of \(what)") else { return nil }
            if name.isEmpty { error("invalid-value", source.value, "'column' of \(what) is empty") }
            expression = .column(name, location(source.value))
        case "const":
            guard let value = constantValue(source.value) else {
                error("expected-scalar", source.value, "'const' of \(what) must be a single value or a list of values")
                return nil
            }
            if let spec { checkConstant(value, through: after, spec: spec, at: source.value, what: "constant") }
            expression = .constant(value)
            shape = Checker.shape(of: value)
        case "template":
            guard let text = string(source.value, "'template' of \(what)"),
                  let parts = parseTemplate(text, node: source.value) else { return nil }
            if let spec, after.isEmpty { checkTemplateText(parts, spec: spec, at: source.value) }
            expression = .template(parts, location(source.value))
            shape = .single
            if let constant = expression.constantValue, let spec {
                checkConstant(constant, through: after, spec: spec, at: source.value, what: "template")
            }
        case "json":
            guard let json = parseJSONSource(source.value, what: what) else { return nil }
            expression = json
        case "coalesce":
            guard case .sequence(let items) = source.value, !items.isEmpty else {
                error("expected-list", source.value, "'coalesce' of \(what) must be a list of expressions, tried in order")
                return nil
            }
            if items.count == 1 { warning("single-choice", source.value, "'coalesce' with one choice is that choice; add a fallback") }
            var parts: [ValueExpression] = []
            var merged: Shape?
            for item in items {
                guard let (part, partShape) = parseExpression(item, spec: spec, pendingSteps: after, what: "a choice of 'coalesce'") else { continue }
                parts.append(part)
                merged = merged.map { $0.merged(partShape) } ?? partShape
            }
            guard parts.count == items.count else { return nil }
            expression = .coalesce(parts)
            shape = merged ?? .unknown
        case "when":
            guard let (clauses, clauseShape) = parseWhen(source.value, spec: spec, pendingSteps: after, what: what) else { return nil }
            var otherwise = ValueExpression.constant(.null)
            var otherwiseShape = clauseShape
            if let e = get("else") {
                guard let (parsed, parsedShape) = parseExpression(e.value, spec: spec, pendingSteps: after, what: "'else' of \(what)") else { return nil }
                otherwise = parsed
                otherwiseShape = parsedShape
            }
            expression = .when(clauses, otherwise: otherwise)
            shape = clauseShape.merged(otherwiseShape)
        default:
            return nil
        }
        guard !steps.isEmpty else { return (expression, shape) }
        for step in steps {
            if let list = step.makesList { shape = list ? .list : .single }
        }
        return (.transformed(expression, steps), shape)
    }

    /// `{{column}}` placeholders between literal text.
    mutating func parseTemplate(_ text: String, node: Node) -> [TemplatePart]? {
        var parts: [TemplatePart] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                error("invalid-template", node, "'{{' in the template has no closing '}}'")
                return nil
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                error("invalid-template", node, "a placeholder in the template is empty; write {{column_name}}")
                return nil
            }
            parts.append(.column(name, location(node)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        if parts.isEmpty { error("invalid-template", node, "the template is empty") }
        return parts
    }

    /// Literal template text must already fit a field's character pattern when nothing transforms it.
    mutating func checkTemplateText(_ parts: [TemplatePart], spec: FieldSpec, at node: Node) {
        guard case .string(let pattern?, _, _) = spec.type else { return }
        for case .text(let literal) in parts where !literal.utf8.allSatisfy(pattern.contains) {
            error("invalid-value", node, "the template's text '\(literal)' has characters outside the pattern \(pattern.source) of field '\(spec.name)'",
                  notes: ["add a transform step such as { replace: { pattern: \"[^a-zA-Z0-9_-]\", with: \"-\" } }"])
            return
        }
    }

    /// `json: { column: NAME, path: $.a.b }`.
    mutating func parseJSONSource(_ node: Node, what: String) -> ValueExpression? {
        guard let entries = members(of: node, context: "'json' of \(what)", allowed: ["column", "path"]) else { return nil }
        guard let columnEntry = entries.first(where: { $0.key == "column" }),
              let column = string(columnEntry.value, "'column' of 'json'") else {
            error("missing-key", node, "'json' needs 'column': the json/jsonb column to read")
            return nil
        }
        guard let pathEntry = entries.first(where: { $0.key == "path" }) else {
            error("missing-key", node, "'json' needs 'path', e.g. path: $.tier")
            return nil
        }
        guard let text = string(pathEntry.value, "'path' of 'json'") else { return nil }
        let path: JSONPath
        do {
            path = try JSONPath(parsing: text)
        } catch {
            self.error("invalid-path", pathEntry.value, "invalid JSON path '\(text)': \(error.message) at character \(error.offset + 1)",
                       notes: ["paths look like $.tier, $.address.city, $.tags[0] or $['key with spaces']"])
            return nil
        }
        return .json(.column(column, location(columnEntry.value)), path: path, location(node))
    }

    /// `when: [{ column: c, equals: v, then: … }, …]`.
    mutating func parseWhen(_ node: Node, spec: FieldSpec?, pendingSteps: [TransformStep], what: String) -> ([WhenClause], Shape)? {
        guard case .sequence(let items) = node, !items.isEmpty else {
            error("expected-list", node, "'when' of \(what) must be a list of { column: …, equals: …, then: … }")
            return nil
        }
        let tests = Checker.whenTests
        var clauses: [WhenClause] = []
        var shape: Shape?
        var ok = true
        for item in items {
            guard let entries = members(of: item, context: "a 'when' clause", allowed: ["column", "then"] + tests) else {
                ok = false
                continue
            }
            let get = { (k: String) in entries.first { $0.key == k } }
            guard let c = get("column"), let column = string(c.value, "'column' of a 'when' clause") else {
                error("missing-key", item, "a 'when' clause needs 'column': the column the condition reads")
                ok = false
                continue
            }
            let given = entries.filter { tests.contains($0.key) }
            guard given.count == 1, let test = given.first else {
                error(given.isEmpty ? "missing-key" : "conflicting-keys", item,
                      "a 'when' clause needs exactly one condition: \(tests.joined(separator: ", "))")
                ok = false
                continue
            }
            guard let then = get("then") else {
                error("missing-key", item, "a 'when' clause needs 'then': the value when the condition holds")
                ok = false
                continue
            }
            var condition: Condition?
            switch test.key {
            case "equals":
                guard let value = constantValue(test.value), !Checker.isList(value) else {
                    error("expected-scalar", test.value, "'equals' takes one value; use 'in' for several")
                    break
                }
                condition = .equals(value.sqlText)
            case "not_equals":
                guard let value = constantValue(test.value), let text = value.sqlText, !Checker.isList(value) else {
                    error("expected-scalar", test.value, "'not_equals' takes one value that is not null")
                    break
                }
                condition = .notEquals(text)
            case "in":
                guard case .sequence(let values) = test.value else {
                    error("expected-list", test.value, "'in' takes a list of values")
                    break
                }
                condition = .oneOf(Set(values.compactMap { constantValue($0)?.sqlText }))
            case "is_null":
                guard let flag = test.value.bool else {
                    error("invalid-value", test.value, "'is_null' is true or false")
                    break
                }
                condition = .isNull(flag)
            default:
                guard let pattern = string(test.value, "'matches'"), let regex = compileRegex(pattern, at: test.value) else { break }
                condition = .matches(regex)
            }
            guard let (value, valueShape) = parseExpression(then.value, spec: spec, pendingSteps: pendingSteps, what: "'then' of a 'when' clause"),
                  let condition else {
                ok = false
                continue
            }
            clauses.append(WhenClause(column: column, condition: condition, then: value, location: location(c.value)))
            shape = shape.map { $0.merged(valueShape) } ?? valueShape
        }
        return ok ? (clauses, shape ?? .unknown) : nil
    }

    /// `if_empty: reject`, `if_empty: skip` or `if_empty: { replace: VALUE }`.
    mutating func parseEmptyPolicy(_ node: Node, spec: FieldSpec) -> EmptyPolicy? {
        let help = "'if_empty' must be 'reject', 'skip' or '{ replace: VALUE }'"
        if case .scalar = node {
            switch node.string {
            case "reject": return .reject
            case "skip": return .skip
            default:
                error("invalid-value", node, help)
                return nil
            }
        }
        guard let entries = members(of: node, context: "'if_empty'", allowed: ["replace"]), let replace = entries.first,
              let value = constantValue(replace.value), !value.isNull else {
            error("invalid-value", node, help)
            return nil
        }
        checkValue(value, spec: spec, at: replace.value, what: "replacement")
        return .replace(value)
    }

    /// A plain value, or a list of plain values (a constant list for list fields).
    func constantValue(_ node: Node) -> SourceValue? {
        if case .sequence(let items) = node {
            var texts: [String?] = []
            for item in items {
                guard let value = scalarValue(item) else { return nil }
                texts.append(value.sqlText)
            }
            return .stringArray(texts)
        }
        return scalarValue(node)
    }

    /// A constant after the steps that will transform it, checked against the field's contract now.
    mutating func checkConstant(_ value: SourceValue, through steps: [TransformStep], spec: FieldSpec, at node: Node, what: String) {
        var current = value
        for step in steps {
            switch step.apply(current, zone: nil) {
            case .success(let v): current = v
            case .failure(let failure):
                error("invalid-value", node, "\(what) of field '\(spec.name)' cannot pass the step '\(step.name)': \(failure.message)")
                return
            }
        }
        if !current.isNull { checkValue(current, spec: spec, at: node, what: what) }
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
        case .string, .enumeration, .stringArray, .integer, .dateTime, .email, .attributes: true
        case .object, .stringMap, .objectArray: false
        }
    }

    static func takesList(_ type: FieldType) -> Bool {
        if case .stringArray = type { return true }
        return false
    }

    static func isList(_ value: SourceValue) -> Bool {
        if case .stringArray = value { return true }
        return false
    }

    static func shape(of value: SourceValue) -> Shape {
        switch value {
        case .null: .unknown
        case .stringArray: .list
        default: .single
        }
    }
}
