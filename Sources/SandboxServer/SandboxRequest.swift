/// One complete HTTP request, as the API logic sees it (independent of the network layer).
struct SandboxRequest: Sendable {
    /// `GET`, `POST`, …
    var method: String
    /// The path without the query string.
    var path: String
    /// Header names lower-cased, in arrival order.
    var headers: [(name: String, value: String)]
    /// The body bytes.
    var body: [UInt8]

    /// The first value of header `name`, given in lower case (as the names are kept).
    func header(_ name: String) -> String? {
        assert(name == name.lowercased(), "header names are looked up in lower case")
        return headers.first { $0.name == name }?.value
    }
}
