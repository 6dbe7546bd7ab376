import APIContract
import SyncCore

extension SandboxAPI {
    /// The `/sandbox/v1/…` routes, without credentials (the sandbox listens on loopback by default):
    ///
    /// - `GET /sandbox/v1/stats`: `{"requests":{route:{status:count}},"accepted":{"agent","convo","customer"},
    ///   "conversations","messages","recordBodies"}`.
    /// - `GET /sandbox/v1/accepted/{agent|convo|customer}`: `{"count","items":[…]}` in arrival order.
    /// - `GET /sandbox/v1/conversations`: `{"conversations":[{"externalId","id","updateCount","body",
    ///   "messageCount","messages"}]}` in order of creation.
    /// - `POST /sandbox/v1/reset`: forgets everything recorded; `{}`.
    /// - `GET /sandbox/v1/faults`: the faults injected now (`SandboxFaults.json`); `POST` with a JSON
    ///   object changes the members it names and answers the result, or `400` naming what is wrong.
    func inspect(_ request: SandboxRequest, _ components: [Substring], requestId: String) -> SandboxResponse {
        let path = components.joined(separator: "/")
        if path == "faults" { return faultsRoute(request, requestId: requestId) }
        let expectedMethod = path == "reset" ? "POST" : "GET"
        let known = path == "stats" || path == "conversations" || path == "reset"
            || (components.count == 2 && components[0] == "accepted" && MetadataEntity(rawValue: String(components[1])) != nil)
        guard known else {
            return .error(status: 404, code: APIErrorCode.unknownPath, message: "no such path", requestId: requestId)
        }
        guard request.method == expectedMethod else {
            return .error(status: 405, code: APIErrorCode.methodNotAllowed, message: "this path accepts \(expectedMethod) only",
                          requestId: requestId)
        }
        switch path {
        case "stats":
            return SandboxResponse(status: 200, json: stats())
        case "conversations":
            let list = recorder.conversations.map { conversation in
                JSONValue.object(JSONObject([
                    ("externalId", .string(conversation.externalId)),
                    ("id", .string(conversation.id)),
                    ("updateCount", .int(Int64(conversation.updateCount))),
                    ("body", conversation.body ?? .null),
                    ("messageCount", .int(Int64(conversation.messageCount))),
                    ("messages", .array(conversation.messages)),
                ]))
            }
            return SandboxResponse(status: 200, json: .object(JSONObject([("conversations", .array(list))])))
        case "reset":
            recorder.reset()
            logger.info("sandbox recorder reset")
            return SandboxResponse(status: 200, json: .object(JSONObject()))
        default:
            let entity = MetadataEntity(rawValue: String(components[1]))!
            return SandboxResponse(status: 200, json: .object(JSONObject([
                ("count", .int(Int64(recorder.acceptedItemCount(entity)))),
                ("items", .array(recorder.acceptedItems(entity))),
            ])))
        }
    }

    private func faultsRoute(_ request: SandboxRequest, requestId: String) -> SandboxResponse {
        switch request.method {
        case "GET":
            return SandboxResponse(status: 200, json: faults.json)
        case "POST":
            let body: JSONValue
            switch parseJSONBody(request, requestId: requestId) {
            case .failure(let answer): return answer.response
            case .success(let value): body = value
            }
            guard case .object(let object) = body else {
                return .error(status: 400, code: APIErrorCode.malformedJSON, message: "the faults must be a JSON object", requestId: requestId)
            }
            do {
                let updated = try faults.updated(with: object)
                faults = updated
                logger.info("sandbox faults changed", metadata: ["faults": "\(updated.json.jsonString)"])
                return SandboxResponse(status: 200, json: updated.json)
            } catch let error as SandboxError {
                return .error(status: 400, code: APIErrorCode.invalidValue, message: error.message, requestId: requestId)
            } catch {
                return .error(status: 400, code: APIErrorCode.invalidValue, message: "\(error)", requestId: requestId)
            }
        default:
            return .error(status: 405, code: APIErrorCode.methodNotAllowed, message: "this path accepts GET and POST only",
                          requestId: requestId)
        }
    }

    private func stats() -> JSONValue {
        var requests = JSONObject()
        for (route, byStatus) in recorder.requestCounts.sorted(by: { $0.key < $1.key }) {
            var statuses = JSONObject()
            for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) {
                statuses.appendUnchecked(String(status), .int(Int64(count)))
            }
            requests.appendUnchecked(route, .object(statuses))
        }
        var accepted = JSONObject()
        for entity in MetadataEntity.allCases {
            accepted.appendUnchecked(entity.rawValue, .int(Int64(recorder.acceptedItemCount(entity))))
        }
        return .object(JSONObject([
            ("requests", .object(requests)),
            ("accepted", .object(accepted)),
            ("conversations", .int(Int64(recorder.conversationCount))),
            ("messages", .int(Int64(recorder.acceptedMessageCount))),
            ("recordBodies", .bool(recorder.recordBodies)),
        ]))
    }
}
