/// `${NAME}` references in a mapping file's values, filled from the environment the caller passes.
///
/// `${NAME}` is the variable's value; `${NAME:-fallback}` uses `fallback` when the variable is unset or
/// empty; `$${` writes a literal `${`. Keeping secrets (a query's password, a token) in the environment
/// keeps them out of the file and out of version control.
enum EnvironmentReferences {
    /// What went wrong in one value.
    enum Problem: Error, Equatable {
        /// `${NAME}` names a variable that is not set (and has no fallback).
        case unset(String)
        /// `${` with no closing `}` or a name that is not `[A-Za-z_][A-Za-z0-9_]*`.
        case malformed(String)
    }

    /// Whether `text` holds a reference at all (cheap, so most values skip the work).
    static func mayContainReference(_ text: String) -> Bool {
        text.contains("${")
    }

    /// `text` with every reference replaced.
    static func substitute(_ text: String, environment: [String: String]) -> Result<String, Problem> {
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                // `$${` is an escaped, literal `${`.
                out += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                out += "$"
                rest = after
                continue
            }
            guard let close = after.firstIndex(of: "}") else {
                return .failure(.malformed("'${' has no closing '}'"))
            }
            let body = after[after.index(after: after.startIndex)..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard isName(name) else {
                return .failure(.malformed("'${\(name.prefix(40))}' is not a variable name (letters, digits and '_', not starting with a digit)"))
            }
            if let value = environment[String(name)], !(fallback != nil && value.isEmpty) {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                return .failure(.unset(String(name)))
            }
            rest = after[after.index(after: close)...]
        }
        out += rest
        return .success(out)
    }

    /// `text` with references removed, for looking at what was written inline.
    static func inlineText(_ text: String) -> String {
        guard mayContainReference(text) else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { break }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    static func isName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
