import SyncCore

/// What to answer to one request.
struct SandboxResponse: Sendable {
    /// How the answer is delivered.
    enum Delivery: Sendable {
        /// Write the answer.
        case respond
        /// Close the connection without answering (an injected fault).
        case dropConnection
    }

    var status: Int
    var body: [UInt8]
    var headers: [(name: String, value: String)] = []
    var delivery: Delivery = .respond
    /// Time to wait before delivering (an injected fault).
    var delay: Duration = .zero
    /// Whether the request holds one of the places `SandboxFaults.maxConcurrentRequests` counts, to be
    /// given back once the answer is delivered.
    var holdsPlace = false

    /// A JSON answer.
    init(status: Int, json: JSONValue, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.body = json.jsonBytes
        self.headers = headers
    }

    /// An answer whose JSON text is already written.
    init(status: Int, jsonText: [UInt8]) {
        self.status = status
        self.body = jsonText
    }

    /// The vendor's error envelope: `{"error":{"requestId","code","message"}}`.
    static func error(status: Int, code: String, message: String, requestId: String) -> SandboxResponse {
        SandboxResponse(status: status, json: .object(JSONObject([
            ("error", .object(JSONObject([
                ("requestId", .string(requestId)),
                ("code", .string(code)),
                ("message", .string(message)),
            ]))),
        ])))
    }
}
