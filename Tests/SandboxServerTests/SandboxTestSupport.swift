import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SandboxServer
import SyncCore
import Testing

/// An answer from the sandbox, its body parsed as JSON.
struct Reply {
    let status: Int
    let headers: HTTPHeaders
    let bytes: [UInt8]

    var json: JSONValue {
        (try? JSONParser.parse(bytes)) ?? .null
    }

    /// `error.code` of an error envelope.
    var errorCode: String? { json["error"]?["code"]?.stringValue }
    /// `error.message` of an error envelope.
    var errorMessage: String? { json["error"]?["message"]?.stringValue }
}

/// A running sandbox plus a client of its own, so connection counts belong to one test.
struct SandboxHarness {
    static let apiID = "test-id"
    static let apiSecret = "test-secret-0123456789"

    let sandbox: Sandbox
    let client: HTTPClient

    /// Runs `body` against a fresh sandbox on a random port; always shuts both ends down.
    static func with<T>(
        _ adjust: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (SandboxHarness) async throws -> T
    ) async throws -> T {
        var configuration = SandboxConfiguration(apiID: apiID, apiSecret: apiSecret)
        adjust(&configuration)
        let sandbox = try await Sandbox.start(configuration)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let harness = SandboxHarness(sandbox: sandbox, client: client)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            try await sandbox.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            try? await sandbox.shutdown()
            throw error
        }
    }

    /// Sends one request; credentials and `Content-Type: application/json` unless told otherwise.
    func send(
        _ method: HTTPMethod = .POST,
        _ path: String,
        body: String? = nil,
        bytes: [UInt8]? = nil,
        credentials: (id: String?, secret: String?)? = (SandboxHarness.apiID, SandboxHarness.apiSecret),
        contentType: String? = "application/json"
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: sandbox.baseURL + path)
        request.method = method
        if let credentials {
            if let id = credentials.id { request.headers.add(name: "asapp-api-id", value: id) }
            if let secret = credentials.secret { request.headers.add(name: "asapp-api-secret", value: secret) }
        }
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        if let payload = bytes ?? body.map({ Array($0.utf8) }) {
            request.body = .bytes(ByteBuffer(bytes: payload))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, bytes: Array(collected.readableBytesView))
    }

    /// Sends `value` as the JSON body.
    func send(_ path: String, json value: JSONValue) async throws -> Reply {
        try await send(.POST, path, bytes: value.jsonBytes)
    }
}

/// Test payloads.
enum Payloads {
    static func convoItem(_ id: String, eventId: String? = nil, platform: String? = nil) -> String {
        var members = [#""externalConversationId":"\#(id)""#]
        if let eventId { members.append(#""eventId":"\#(eventId)""#) }
        if let platform { members.append(#""platform":"\#(platform)""#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func items(_ items: [String]) -> String {
        #"{"items":[\#(items.joined(separator: ","))]}"#
    }

    static func conversation(_ externalId: String, timestamp: String = "2021-11-23T12:13:14.555Z", name: String = "Ana") -> String {
        #"{"externalId":"\#(externalId)","customer":{"externalId":"cust-1","name":"\#(name)"},"agent":{"externalId":"agent-1"},"metadata":{"queue":"billing"},"timestamp":"\#(timestamp)"}"#
    }

    static func message(_ text: String, role: String = "customer", timestamp: String = "2021-11-23T12:13:14.555Z") -> String {
        #"{"text":"\#(text)","sender":{"role":"\#(role)","externalId":"p-1"},"timestamp":"\#(timestamp)"}"#
    }

    static func batch(_ messages: [String]) -> String {
        #"{"messages":[\#(messages.joined(separator: ","))]}"#
    }
}
