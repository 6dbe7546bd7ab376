import Yams

extension Checker {
    /// Keys whose values name things (columns, tables, zones, layouts) rather than carry data; a secret
    /// in one of them is not a secret written inline, and names are checked on their own.
    static let structuralKeys: Set<String> = [
        "version", "name", "target", "delivery", "table", "watermark", "key", "timezone", "conversation", "order",
        "batch_size", "column", "path", "overflow", "if_empty", "zone", "pattern", "format_time", "parse_time",
        "split", "join", "truncate",
    ]

    /// The tree with every `${NAME}` in a value filled from the environment. Unset variables and malformed
    /// references are errors at the value; inline values that look like secrets get a warning.
    mutating func prepare(_ node: Node, parentKey: String? = nil) -> Node {
        switch node {
        case .scalar(var scalar):
            if let parentKey, !Checker.structuralKeys.contains(parentKey),
               let reason = SecretHeuristics.reason(inline: EnvironmentReferences.inlineText(scalar.string)) {
                warning("inline-secret", node,
                        "the value of '\(parentKey)' looks like a secret written inline (\(reason)); keep secrets out of mapping files: write ${NAME} and set NAME in the environment")
            }
            guard EnvironmentReferences.mayContainReference(scalar.string) else { return node }
            switch EnvironmentReferences.substitute(scalar.string, environment: environment) {
            case .success(let text):
                let style = scalar.style
                scalar.string = text
                scalar.style = style
                return .scalar(scalar)
            case .failure(.unset(let name)):
                error("unset-variable", node, "environment variable '\(name)' is not set",
                      notes: ["set it before running, or write ${\(name):-fallback} for a fallback"])
            case .failure(.malformed(let message)):
                error("invalid-reference", node, "invalid environment reference: \(message)",
                      notes: ["write $${ for a literal '${'"])
            }
            return node
        case .mapping(let mapping):
            var pairs: [(Node, Node)] = []
            for (key, value) in mapping {
                pairs.append((key, prepare(value, parentKey: key.string ?? parentKey)))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            let nodes = sequence.map { prepare($0, parentKey: parentKey) }
            return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }
}
