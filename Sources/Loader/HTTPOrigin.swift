/// The server a base URL names: scheme, host, port, and the path every request's path is appended to.
struct HTTPOrigin: Sendable, Hashable {
    /// Whether connections use TLS (`https`).
    var tls: Bool
    /// The host name or address, without the brackets of an IPv6 literal.
    var host: String
    var port: Int
    /// The base URL's path without its trailing slash: `""` or, for example, `"/gateway"`.
    var pathPrefix: String

    /// The `Host` header's value: the host, with the port unless it is the scheme's default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Whether `host` is an address rather than a name (TLS sends no server name for an address).
    var hostIsAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber })
    }

    /// Reads `http://host[:port][/path]` or `https://…`; `nil` for anything else (another scheme, user
    /// information, a query or fragment, a port out of range, no host).
    init?(baseURL: String) {
        let tls: Bool
        let rest: Substring
        if let r = HTTPOrigin.dropPrefix("https://", of: baseURL) {
            (tls, rest) = (true, r)
        } else if let r = HTTPOrigin.dropPrefix("http://", of: baseURL) {
            (tls, rest) = (false, r)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        while path.hasSuffix("/") { path = path.dropLast() }
        guard !authority.contains("@"), !path.contains("?"), !path.contains("#") else { return nil }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else { return nil }
        var port = tls ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else { return nil }
            port = value
        }
        self.tls = tls
        self.host = String(host)
        self.port = port
        self.pathPrefix = String(path)
    }

    private static func dropPrefix(_ prefix: String, of text: String) -> Substring? {
        guard text.count >= prefix.count, text.prefix(prefix.count).lowercased() == prefix else { return nil }
        return text.dropFirst(prefix.count)
    }
}
