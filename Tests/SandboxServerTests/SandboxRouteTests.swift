import APIContract
@testable import SandboxServer
import Testing

@Suite("Request paths to endpoints")
struct SandboxRouteTests {
    private func described(_ route: SandboxAPI.Route) -> String {
        switch route {
        case .endpoint(let endpoint, let id): "\(endpoint.rawValue) \(id.map { "[\($0)]" } ?? "-")"
        case .inspection(let parts): "inspection \(parts.joined(separator: "|"))"
        case .unrouted: "unrouted"
        }
    }

    @Test("message batches are told apart from every path that only looks like one")
    func messageBatchPaths() {
        let cases: [(String, String)] = [
            ("/conversation/v1/conversations/01ABC/messages/batch", "\(Endpoint.createMessageBatch.rawValue) [01ABC]"),
            ("/conversation/v1/conversations//messages/batch", "\(Endpoint.createMessageBatch.rawValue) []"),
            ("/conversation/v1/conversations/a/b/messages/batch", "unrouted"),
            ("/conversation/v1/conversations/messages/batch", "unrouted"),
            ("/conversation/v1/conversations/01ABC/messages/batch/", "unrouted"),
            ("conversation/v1/conversations/01ABC/messages/batch", "unrouted"),
            ("/conversation/v1/conversations/01ABC/messages", "\(Endpoint.createMessage.rawValue) [01ABC]"),
            ("/conversation/v1/conversations", "\(Endpoint.createConversation.rawValue) -"),
        ]
        for (path, expected) in cases { #expect(described(SandboxAPI.route(path)) == expected, "\(path)") }
    }
}
