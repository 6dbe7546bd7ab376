/// A request that could not be delivered. Its items are not acknowledged, so no checkpoint moves past them.
public struct DeliveryError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as a stable code scripts can test.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// 401: the API id or secret is missing or not recognised. The run stops.
        public static let unauthorized = Code(raw: "unauthorized")
        /// 403: the credentials are valid but may not use this endpoint. The run stops.
        public static let forbidden = Code(raw: "forbidden")
        /// Every attempt failed with a retryable status or a transport error.
        public static let retriesExhausted = Code(raw: "retries-exhausted")
        /// The API answered with something the contract does not describe.
        public static let unexpectedResponse = Code(raw: "unexpected-response")
        /// A status the connector cannot act on (404 on a metadata endpoint: wrong base URL, say).
        public static let requestRefused = Code(raw: "request-refused")
        /// 404 on a conversation's messages: the API has no conversation with that id.
        public static let unknownConversation = Code(raw: "unknown-conversation")
        public var description: String { raw }
    }

    public var code: Code
    /// The endpoint path (no host, no credentials).
    public var endpoint: String
    /// The last HTTP status, when there was an answer.
    public var status: Int?
    /// The API's request id, for support.
    public var requestID: String?
    /// The API's error code, such as `401-01`.
    public var apiCode: String?
    /// What happened, without secrets or payload text.
    public var message: String
    /// How many attempts were made.
    public var attempts: Int

    /// Whether the run must stop at once, whatever is left: credentials are wrong and every request will fail.
    public var stopsRun: Bool { code == .unauthorized || code == .forbidden || code == .requestRefused }

    public var description: String {
        var text = "\(code) on \(endpoint)"
        if let status { text += " (HTTP \(status)" + (apiCode.map { ", \($0)" } ?? "") + ")" }
        text += ": \(message)"
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }

    public var debugDescription: String {
        description + (requestID.map { " [request id \($0)]" } ?? "")
    }
}
