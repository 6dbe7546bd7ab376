/// The API id and secret sent on every request. Both are secrets: this type never prints them.
public struct APICredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The value of the `asapp-api-id` header.
    public var id: String
    /// The value of the `asapp-api-secret` header.
    public var secret: String

    /// Credentials for `id` and `secret`.
    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    public var description: String { "APICredentials(id: <redacted>, secret: <redacted>)" }
    public var debugDescription: String { description }
}
