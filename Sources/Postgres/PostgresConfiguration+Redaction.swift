extension PostgresConfiguration {
    /// `connectionString` with any password replaced by `***`, for logs and messages.
    ///
    /// Handles both forms libpq accepts: in a URL, the password in the user-info part and a `password`
    /// query parameter; in a keyword string, every `password=` value, quoted or not.
    public var redactedConnectionString: String {
        Self.redact(connectionString)
    }

    static func redact(_ connectionString: String) -> String {
        if connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://") {
            return redactURL(connectionString)
        }
        return redactKeywords(connectionString)
    }

    private static func redactURL(_ url: String) -> String {
        let schemeEnd = url.range(of: "://")!.upperBound
        var result = String(url[..<schemeEnd])
        var rest = url[schemeEnd...]

        // The user-info ends at the last '@' before the query string, not at the first '/': an unencoded
        // '/' or '@' in a password happens, and masking too much is the safe mistake.
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let head = rest[..<queryStart]
        if let at = head.lastIndex(of: "@") {
            let userInfo = head[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":***"
            } else {
                result += userInfo
            }
            result += head[at...]
        } else {
            result += head
        }
        rest = rest[queryStart...]

        guard let question = rest.firstIndex(of: "?") else { return result + rest }
        result += rest[...question]
        let parameters = rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
        result += parameters.map { parameter -> String in
            let name = parameter.prefix(while: { $0 != "=" })
            return name == "password" && name.count < parameter.count ? "password=***" : String(parameter)
        }.joined(separator: "&")
        return result
    }

    private static func redactKeywords(_ conninfo: String) -> String {
        // libpq's grammar: `key = value` pairs separated by whitespace; a value is either a run of
        // non-space characters or single-quoted with backslash escapes. Anything else is kept verbatim.
        let chars = Array(conninfo.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0

        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

        while i < chars.count {
            while i < chars.count, isSpace(chars[i]) {
                out.append(chars[i])
                i += 1
            }
            let keyStart = i
            while i < chars.count, chars[i] != "=", !isSpace(chars[i]) { i += 1 }
            let key = String(String.UnicodeScalarView(chars[keyStart..<i]))
            out.append(contentsOf: chars[keyStart..<i])
            while i < chars.count, isSpace(chars[i]) {
                out.append(chars[i])
                i += 1
            }
            guard i < chars.count, chars[i] == "=" else { continue }
            out.append("=")
            i += 1
            while i < chars.count, isSpace(chars[i]) {
                out.append(chars[i])
                i += 1
            }
            let valueStart = i
            if i < chars.count, chars[i] == "'" {
                i += 1
                while i < chars.count, chars[i] != "'" {
                    if chars[i] == "\\" { i += 1 }
                    i += 1
                }
                i = min(i + 1, chars.count)
            } else {
                while i < chars.count, !isSpace(chars[i]) { i += 1 }
            }
            if key == "password" {
                out.append(contentsOf: "***".unicodeScalars)
            } else {
                out.append(contentsOf: chars[valueStart..<i])
            }
        }
        return String(out)
    }
}
