import APIContract
import SyncCore
import Yams

/// The metadata `attributes` field: named pairs and/or a JSON object's members, at most ten.
extension Checker {
    /// What an attribute's value must be, for checking constants.
    static let attributeValueSpec = FieldSpec("value", .string(pattern: nil, maxLength: APILimits.maxAttributeValueLength, minLength: nil),
                                              summary: "The value of the named attribute")

    mutating func parseAttributes(_ node: Node, spec: FieldSpec, keyNode: Node) -> FieldMapping? {
        guard let entries = members(of: node, context: "field 'attributes'", allowed: Checker.attributesKeys) else { return nil }
        let get = { (k: String) in entries.first { $0.key == k } }
        var steps: [TransformStep] = []
        if let t = get("transform") {
            guard let parsed = parseSteps(t.value) else { return nil }
            steps = parsed
        }
        var overflow = AttributeOverflow.reject
        if let o = get("overflow"), let text = string(o.value, "'overflow'") {
            guard let value = AttributeOverflow(rawValue: text) else {
                error("invalid-value", o.value, "'overflow' is 'reject' (the row is rejected and recorded) or 'truncate' (the first \(APILimits.maxAttributes) are sent), not '\(text)'",
                      notes: Suggestions.didYouMean(text, in: AttributeOverflow.allCases.map(\.rawValue)))
                return nil
            }
            overflow = value
        }
        var pairs: [(name: String, value: ValueExpression)] = []
        var ok = true
        if let p = get("pairs") {
            guard let named = members(of: p.value, context: "'pairs' of 'attributes'", allowed: nil) else { return nil }
            for (name, nameNode, valueNode) in named {
                if name.isEmpty || name.utf16.count > APILimits.maxAttributeNameLength {
                    error("invalid-value", nameNode, "attribute names are 1 to \(APILimits.maxAttributeNameLength) UTF-16 code units long")
                    ok = false
                }
                if SecretHeuristics.nameLooksSecret(name) {
                    warning("secret-attribute", nameNode, "attribute '\(name)' is named like a secret; attributes are sent to the API and kept there")
                }
                guard let (value, _) = parseExpression(valueNode, spec: Checker.attributeValueSpec, pendingSteps: steps,
                                                           what: "attribute '\(name)'") else {
                    ok = false
                    continue
                }
                for (column, _) in value.columns where SecretHeuristics.nameLooksSecret(column) {
                    warning("secret-column", nameNode, "attribute '\(name)' reads column '\(column)', which by its name holds a secret")
                }
                pairs.append((name, value))
            }
            if named.count > APILimits.maxAttributes {
                let extra = named[APILimits.maxAttributes].keyNode
                if overflow == .truncate {
                    warning("too-many-attributes", extra,
                            "\(named.count) attributes are named; the API takes \(APILimits.maxAttributes), so the ones from here on are never sent")
                } else {
                    error("too-many-attributes", extra,
                          "\(named.count) attributes are named; the API takes at most \(APILimits.maxAttributes)",
                          notes: ["remove some, or set 'overflow: truncate' to send the first \(APILimits.maxAttributes)"])
                    ok = false
                }
            }
        }
        var object: ValueExpression?
        if let f = get("from_json") {
            guard let (value, _) = parseExpression(f.value, spec: nil, pendingSteps: [], what: "'from_json' of 'attributes'",
                                                   allowShorthand: false) else { return nil }
            for (column, _) in value.columns where SecretHeuristics.nameLooksSecret(column) {
                warning("secret-column", f.keyNode, "'attributes' reads column '\(column)', which by its name holds a secret")
            }
            object = value
        }
        if pairs.isEmpty && object == nil && ok {
            error("missing-key", node, "field 'attributes' needs 'pairs' (name: expression) and/or 'from_json' (a json/jsonb object)")
            return nil
        }
        guard ok else { return nil }
        let mapping = AttributesMapping(pairs: pairs, object: object, valueSteps: steps, overflow: overflow)
        return FieldMapping(path: [spec.name], spec: spec, expression: .attributes(mapping), ifEmpty: .none, location: location(keyNode))
    }
}
