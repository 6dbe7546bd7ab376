import APIContract
import SyncCore

extension SandboxAPI {
    /// `POST /conversation/v1/conversations`: create or update by `externalId`; `{"id"}`, the same id
    /// for every post of the same `externalId`.
    func createConversation(_ request: SandboxRequest, requestId: String) -> SandboxResponse {
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
        guard recorder.hasConversation(id: conversationId) else {
            return .error(status: 404, code: APIErrorCode.unknownConversation, message: "conversation not found",
                          requestId: requestId)
        }
        let body: JSONValue
        switch parseJSONObjectBody(request, requestId: requestId) {
        case .failure(let answer): return answer.response
        case .success(let value): body = value
        }
        let batch = endpoint == .createMessageBatch
        let violations = ContractValidator.validate(body, against: batch ? Schemas.messageBatch : Schemas.message, path: "")
        guard violations.isEmpty else { return refusal(violations, requestId: requestId) }
        let messages = batch ? (body["messages"]?.arrayValue ?? []) : [body]
        // The conversation may have been reset away since the check above.
        guard recorder.appendMessages(messages, conversationId: conversationId) else {
            return .error(status: 404, code: APIErrorCode.unknownConversation, message: "conversation not found",
                          requestId: requestId)
        }
        if batch {
            return SandboxResponse(status: 200, json: .object(JSONObject()))
        }
        return SandboxResponse(status: 200, json: .object(JSONObject([("id", .string(SandboxIdentifiers.ulid()))])))
    }
}
