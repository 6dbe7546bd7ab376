import Foundation

/// Recognises values that look like credentials, so a mapping file that would leak one when shared or
/// committed gets a warning. The reason names the marker found, never the value.
enum SecretHeuristics {
    /// Markers that introduce a credential in connection strings, queries and headers.
    static let markers = ["password=", "password:", "passwd=", "pwd=", "secret=", "api_key=", "apikey=", "api-key:",
                          "access_token=", "token=", "bearer ", "authorization:", "private key-----"]

    /// Name fragments that mark a column, attribute or field as holding a credential.
    static let nameFragments = ["secret", "password", "passwd", "api_key", "apikey", "api-key", "token", "credential", "private_key"]

    /// Why `text` (written inline in the file) looks like a secret, or `nil`.
    static func reason(inline text: String) -> String? {
        let lowered = text.lowercased()
        if let marker = markers.first(where: lowered.contains) { return "it contains '\(marker.trimmingCharacters(in: .whitespaces))'" }
        if lowered.contains("secret") { return "it mentions 'secret'" }
        if containsURLCredentials(text) { return "it holds a URL with a user and password" }
        if text.split(whereSeparator: { $0.isWhitespace || $0 == "'" || $0 == "\"" || $0 == "," }).contains(where: { looksRandom($0) }) {
            return "it contains a long random-looking token"
        }
        return nil
    }

    /// Whether a name (of a column or an attribute) suggests it holds a credential.
    static func nameLooksSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return nameFragments.contains(where: lowered.contains)
    }

    /// `scheme://user:password@host`.
    static func containsURLCredentials(_ text: String) -> Bool {
        guard let scheme = text.range(of: "://") else { return false }
        let rest = text[scheme.upperBound...].prefix { !$0.isWhitespace && $0 != "/" }
        guard let at = rest.lastIndex(of: "@") else { return false }
        return rest[..<at].contains(":")
    }

    /// At least 24 characters of letters, digits and `+/=_-.` mixing upper case, lower case and digits
    /// (or 32 hex digits), with few repeats: the shape of an API key, not of a word or an identifier.
    static func looksRandom(_ word: Substring) -> Bool {
        guard word.count >= 24 else { return false }
        let scalars = word.unicodeScalars
        guard scalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+/=_-.".unicodeScalars.contains($0)) }) else {
            return false
        }
        let upper = scalars.contains { ("A"..."Z").contains($0) }
        let lower = scalars.contains { ("a"..."z").contains($0) }
        let digit = scalars.contains { ("0"..."9").contains($0) }
        let hex = word.count >= 32 && scalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }
        guard (upper && lower && digit) || (hex && digit && (upper || lower)) else { return false }
        // Identifiers built from words repeat letters and separators; keys rarely do. Shannon entropy over
        // the characters separates the two well enough for a warning.
        var counts: [Unicode.Scalar: Int] = [:]
        for s in scalars { counts[s, default: 0] += 1 }
        let n = Double(scalars.count)
        var entropy = 0.0
        for count in counts.values {
            let p = Double(count) / n
            entropy -= p * log2(p)
        }
        return entropy >= 3.5
    }
}
