import Foundation
import Yams

/// `transform:` lists: every step checked, and every regular expression compiled, when the file is loaded.
extension Checker {
    /// A list of steps (a single step is accepted without the list).
    mutating func parseSteps(_ node: Node) -> [TransformStep]? {
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        var steps: [TransformStep] = []
        var ok = true
        for item in items {
            if let step = parseStep(item) { steps.append(step) } else { ok = false }
        }
        return ok ? steps : nil
    }

    /// `trim`, `upper`, `lower`, or a one-key mapping such as `{ truncate: 64 }`.
    mutating func parseStep(_ node: Node) -> TransformStep? {
        let at = location(node)
        if case .scalar = node {
            guard let name = node.string, !isNull(node) else {
                error("expected-step", node, "a transform step is a name such as 'trim' or a mapping such as '{ truncate: 64 }'")
                return nil
            }
            switch name {
            case "trim": return TransformStep(.trim, location: at)
            case "upper": return TransformStep(.upper, location: at)
            case "lower": return TransformStep(.lower, location: at)
            default:
                if TransformStep.names.contains(name) {
                    error("missing-argument", node, "the step '\(name)' needs a value: \(Checker.stepExample(name))")
                } else {
                    unknownStep(name, at: node)
                }
                return nil
            }
        }
        guard case .mapping(let mapping) = node, let first = mapping.first, let name = first.key.string else {
            error("expected-step", node, "a transform step is a name such as 'trim' or a mapping such as '{ truncate: 64 }'")
            return nil
        }
        guard TransformStep.names.contains(name) else {
            unknownStep(name, at: first.key)
            return nil
        }
        let allowed = ["format_time", "parse_time"].contains(name) ? [name, "zone"] : [name]
        guard let entries = members(of: node, context: "the step '\(name)'", allowed: allowed) else { return nil }
        guard let argument = entries.first(where: { $0.key == name })?.value else {
            error("missing-argument", node, "the step '\(name)' needs a value: \(Checker.stepExample(name))")
            return nil
        }
        switch name {
        case "trim", "upper", "lower":
            error("invalid-step", first.key, "'\(name)' takes no value; write it as '- \(name)'")
            return nil
        case "truncate":
            guard let limit = integer(argument, "'truncate'") else { return nil }
            guard limit >= 1 else {
                error("invalid-value", argument, "'truncate' keeps at least 1 UTF-16 code unit, not \(limit)")
                return nil
            }
            return TransformStep(.truncate(limit), location: at)
        case "replace":
            guard let parts = members(of: argument, context: "'replace'", allowed: ["pattern", "with"]) else { return nil }
            guard let patternNode = parts.first(where: { $0.key == "pattern" })?.value else {
                error("missing-key", argument, "'replace' needs 'pattern': a regular expression, e.g. \"\\\\s+\"")
                return nil
            }
            guard let pattern = string(patternNode, "'pattern'"), let regex = compileRegex(pattern, at: patternNode) else { return nil }
            var replacement = ""
            if let withNode = parts.first(where: { $0.key == "with" })?.value {
                guard case .scalar(let scalar) = withNode else {
                    error("expected-string", withNode, "'with' must be text")
                    return nil
                }
                replacement = isNull(withNode) ? "" : scalar.string
            }
            return TransformStep(.replace(regex, with: replacement), location: at)
        case "split", "join":
            guard case .scalar(let scalar) = argument, !isNull(argument) else {
                error("expected-string", argument, "'\(name)' takes the separator text, e.g. { \(name): \",\" }")
                return nil
            }
            if name == "split", scalar.string.isEmpty {
                error("invalid-value", argument, "'split' needs a separator that is not empty")
                return nil
            }
            return TransformStep(name == "split" ? .split(scalar.string) : .join(scalar.string), location: at)
        case "null_if":
            let values: [Node]
            if case .sequence(let sequence) = argument { values = Array(sequence) } else { values = [argument] }
            var texts: Set<String> = []
            for value in values {
                guard let v = scalarValue(value) else {
                    error("expected-scalar", value, "'null_if' takes values, e.g. { null_if: [\"\", \"n/a\"] }")
                    return nil
                }
                if let text = v.sqlText { texts.insert(text) }
            }
            return TransformStep(.nullIf(texts), location: at)
        default:
            guard let text = string(argument, "'\(name)'") else { return nil }
            let layout: TimeFormat
            do {
                layout = try TimeFormat(parsing: text)
            } catch {
                self.error("invalid-layout", argument, "invalid date-time layout '\(text)': \(error.message) (at character \(error.offset + 1))")
                return nil
            }
            var zone: TimeZone?
            if let zoneNode = entries.first(where: { $0.key == "zone" })?.value, let identifier = string(zoneNode, "'zone'") {
                guard let found = TimeZone(identifier: identifier) else {
                    error("unknown-timezone", zoneNode, "unknown time zone '\(identifier)'; use an IANA name such as 'UTC' or 'America/New_York'")
                    return nil
                }
                zone = found
            }
            if name == "format_time" {
                return TransformStep(.formatTime(layout, zone: zone ?? TimeZone(identifier: "UTC")!), location: at)
            }
            return TransformStep(.parseTime(layout, zone: zone), location: at)
        }
    }

    mutating func unknownStep(_ name: String, at node: Node) {
        error("unknown-transform", node, "unknown transform '\(name)'; expected one of: \(TransformStep.names.joined(separator: ", "))",
              notes: Suggestions.didYouMean(name, in: TransformStep.names))
    }

    static func stepExample(_ name: String) -> String {
        switch name {
        case "truncate": "{ truncate: 64 }"
        case "replace": "{ replace: { pattern: \"\\\\s+\", with: \"-\" } }"
        case "split": "{ split: \",\" }"
        case "join": "{ join: \", \" }"
        case "null_if": "{ null_if: [\"\", \"n/a\"] }"
        case "format_time": "{ format_time: \"yyyy-MM-dd\", zone: America/New_York }"
        case "parse_time": "{ parse_time: \"yyyy-MM-dd HH:mm:ss\", zone: Europe/Paris }"
        default: "- \(name)"
        }
    }

    /// The compiled pattern, or an error at `node` saying what is wrong with it.
    mutating func compileRegex(_ pattern: String, at node: Node) -> TextPattern? {
        if pattern.isEmpty {
            error("invalid-regex", node, "the regular expression is empty")
            return nil
        }
        do {
            return try TextPattern(pattern)
        } catch {
            // Foundation's error does not say what is wrong; the standard library's parser does, for the
            // syntax the two share.
            var reason = "it is not a valid regular expression"
            do { _ = try Regex(pattern) } catch let parse { reason = "\(parse)" }
            self.error("invalid-regex", node, "invalid regular expression: \(reason)")
            return nil
        }
    }
}
