import APIContract
import SyncCore

extension SandboxAPI {
    /// `POST /conversation/v1/conversations`: create or update by `externalId`; `{"id"}`, the same id
    /// for every post of the same `externalId`.
    func createConversation(_ request: SandboxRequest, requestId: String) -> SandboxResponse {
        // A body the scan vouches for needs no tree, unless the recorder keeps it.
        if let report = scanConforming(request, Schemas.conversationCreate, capture: .string(member: "externalId")),
           let externalId = report.string, let kept = vouchedBody(request) {
            let body: JSONValue? = if case .tree(let tree) = kept { tree } else { nil }
            let id = recorder.upsertConversation(externalId: externalId, body: body)
            return SandboxResponse(status: 200, json: .object(JSONObject([("id", .string(id))])))
        }
        let body: JSONValue
        switch parseJSONObjectBody(request, requestId: requestId) {
        case .failure(let answer): return answer.response
        case .success(let value): body = value
        }
        let violations = ContractValidator.validate(body, against: Schemas.conversationCreate, path: "")
        guard violations.isEmpty, case .string(let externalId)? = body["externalId"] else {
            return refusal(violations, requestId: requestId)
        }
        let id = recorder.upsertConversation(externalId: externalId, body: body)
        return SandboxResponse(status: 200, json: .object(JSONObject([("id", .string(id))])))
    }

    /// `POST …/{conversationId}/messages` (one message, `{"id"}`) and `…/messages/batch` (1 to 300
    /// messages, `{}`); messages are stored in arrival order.
    func createMessages(_ request: SandboxRequest, _ endpoint: Endpoint, conversationId: String,
                        requestId: String) -> SandboxResponse {
        guard CharacterPattern.conversationId.matches(conversationId) else {
            return .error(status: 400, code: APIErrorCode.badPathParameter,
                          message: "conversationId must match ^[A-Z0-9]+$", requestId: requestId)
        }
        guard recorder.hasConversation(id: conversationId) else { return SandboxAPI.conversationGone(requestId: requestId) }
        let batch = endpoint == .createMessageBatch
        let schema = batch ? Schemas.messageBatch : Schemas.message
        // A body the scan vouches for needs no tree, unless the recorder keeps it.
        if let report = scanConforming(request, schema, capture: batch ? .elements(array: "messages", member: nil) : .none),
           let kept = vouchedBody(request) {
            let appended = switch kept {
            case .notNeeded: recorder.appendMessages(count: batch ? report.elementCount : 1, conversationId: conversationId)
            case .tree(let body): recorder.appendMessages(SandboxAPI.messages(of: body, batch: batch), conversationId: conversationId)
            }
            return appended ? SandboxAPI.messagesAnswer(batch: batch) : SandboxAPI.conversationGone(requestId: requestId)
        }
        let body: JSONValue
        switch parseJSONObjectBody(request, requestId: requestId) {
        case .failure(let answer): return answer.response
        case .success(let value): body = value
        }
        let violations = ContractValidator.validate(body, against: schema, path: "")
        guard violations.isEmpty else { return refusal(violations, requestId: requestId) }
        let messages = SandboxAPI.messages(of: body, batch: batch)
        // The conversation may have been reset away since the check above.
        guard recorder.appendMessages(messages, conversationId: conversationId) else {
            return SandboxAPI.conversationGone(requestId: requestId)
        }
        return SandboxAPI.messagesAnswer(batch: batch)
    }

    /// `404-01`: no conversation has the id (or it was reset away since it was checked).
    static func conversationGone(requestId: String) -> SandboxResponse {
        .error(status: 404, code: APIErrorCode.unknownConversation, message: "conversation not found", requestId: requestId)
    }

    /// The messages a conforming body holds: a batch's `messages`, or the body itself.
    static func messages(of body: JSONValue, batch: Bool) -> [JSONValue] {
        batch ? (body["messages"]?.arrayValue ?? []) : [body]
    }

    /// `{}` for a batch, `{"id"}` for one message.
    static func messagesAnswer(batch: Bool) -> SandboxResponse {
        if batch {
            return SandboxResponse(status: 200, json: .object(JSONObject()))
        }
        return SandboxResponse(status: 200, json: .object(JSONObject([("id", .string(SandboxIdentifiers.ulid()))])))
    }
}
