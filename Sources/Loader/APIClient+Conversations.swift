public import APIContract
import NIOCore
public import SyncCore

extension APIClient {
    /// Creates or updates a conversation (keyed by its `externalId`) and returns the API's id for it.
    ///
    /// - Returns: an accepted result carrying the id in `returnedID`, or a refused one with the API's error.
    /// - Throws: `DeliveryError` when the request cannot be delivered.
    public func createConversation(_ body: EncodedJSON) async throws(DeliveryError) -> ItemResult {
        let path = Endpoint.createConversation.path()
        let answer = try await post(path, endpoint: .createConversation, body: ByteBuffer(bytes: body.bytes))
        if let refusal = APIClient.refusal(answer, path: path) { throw refusal }
        if answer.status == 200 {
            guard let id = answer.body?["id"]?.stringValue, !id.isEmpty else {
                throw DeliveryError(code: .unexpectedResponse, endpoint: path, status: 200, requestID: answer.requestID, apiCode: nil,
                                    message: "the answer carries no conversation id", attempts: answer.attempts)
            }
            return ItemResult(eventID: nil, error: nil, status: 200, returnedID: id)
        }
        return APIClient.refusedResult(answer)
    }

    /// Posts up to 300 messages, in order, to the conversation the API knows as `conversationID`.
    ///
    /// The endpoint answers for the batch as a whole: every message shares the result.
    /// - Throws: `DeliveryError` when the request cannot be delivered, or the conversation is unknown to
    ///   the API (404), which the caller must resolve before any of these messages can go.
    public func postMessages(_ messages: [EncodedJSON], conversationID: String) async throws(DeliveryError) -> ItemResult {
        let path = Endpoint.createMessageBatch.path(conversationId: conversationID)
        let answer = try await post(path, endpoint: .createMessageBatch, body: APIClient.envelopeBody("messages", messages))
        if answer.status == 404 {
            let (code, message) = APIClient.envelope(answer.body)
            throw DeliveryError(code: .unknownConversation, endpoint: Endpoint.createMessageBatch.pathTemplate, status: 404,
                                requestID: answer.requestID, apiCode: code,
                                message: message ?? "the API does not know this conversation id", attempts: answer.attempts)
        }
        if let refusal = APIClient.refusal(answer, path: Endpoint.createMessageBatch.pathTemplate) { throw refusal }
        if answer.status == 200 { return ItemResult(eventID: nil, error: nil, status: 200) }
        return APIClient.refusedResult(answer)
    }

    /// Creates or updates a conversation held as an object; see `createConversation(_:)`.
    public func createConversation(_ body: JSONObject) async throws(DeliveryError) -> ItemResult {
        try await createConversation(EncodedJSON(body))
    }

    /// Posts messages held as objects; see `postMessages(_:conversationID:)`.
    public func postMessages(_ messages: [JSONObject], conversationID: String) async throws(DeliveryError) -> ItemResult {
        try await postMessages(messages.map(EncodedJSON.init), conversationID: conversationID)
    }
}
