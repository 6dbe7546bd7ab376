/// A loader setting that cannot work, found before any request is sent.
public struct LoaderConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, as a stable code scripts can test.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// The CA bundle file does not exist or cannot be read.
        public static let caBundleUnreadable = Code(raw: "ca-bundle-unreadable")
        /// The CA bundle file holds no PEM certificate that can be parsed.
        public static let caBundleInvalid = Code(raw: "ca-bundle-invalid")
        /// The request rate cap is not a positive finite number.
        public static let invalidRateLimit = Code(raw: "invalid-rate-limit")
        /// The cap of requests in flight is not a whole number of 1 or more.
        public static let invalidInFlightLimit = Code(raw: "invalid-in-flight-limit")
        /// The API base URL is not `http://host[:port][/path]` or `https://…`.
        public static let invalidBaseURL = Code(raw: "invalid-base-url")
        /// The API id or secret is empty or holds a character a header value cannot carry.
        public static let invalidCredentials = Code(raw: "invalid-credentials")
        /// TLS could not be set up for an `https` base URL.
        public static let tlsSetupFailed = Code(raw: "tls-setup-failed")
        public var description: String { raw }
    }

    /// What is wrong.
    public var code: Code
    /// The setting at fault, as the user would name it (a path is configuration, not a secret).
    public var message: String

    public var description: String { "\(code): \(message)" }
}
