import APIContract
import SyncCore

extension SandboxAPI {
    /// `single-*-metadata`: one item; `{"result":{"eventId","error"}}`, 200 when ingested, 400 when not.
    func ingestSingle(_ request: SandboxRequest, _ endpoint: Endpoint, requestId: String) -> SandboxResponse {
        guard let entity = endpoint.metadataEntity else { preconditionFailure("not a metadata endpoint") }
        let body: JSONValue
        switch parseJSONObjectBody(request, requestId: requestId) {
        case .failure(let answer): return answer.response
        case .success(let value): body = value
        }
        let violations = ContractValidator.validate(body, against: entity.itemSchema, path: "")
        if violations.isEmpty {
            recorder.accept(items: [body], entity: entity, endpoint: endpoint)
        }
        let result = SandboxAPI.itemResult(eventId: SandboxAPI.eventId(of: body), violations: violations)
        return SandboxResponse(status: violations.isEmpty ? 200 : 400, json: .object(JSONObject([("result", result)])))
    }

    /// `many-*-metadata`: `{"items":[…]}` with 1 to 1000 items, each ingested or refused on its own.
    /// 200 with `{"errorCount","results"}` when at least one item was ingested, 400 with the same shape
    /// when none was; an envelope error (`{"error":…}`) when the body as a whole is wrong.
    func ingestMany(_ request: SandboxRequest, _ endpoint: Endpoint, requestId: String) -> SandboxResponse {
        guard let entity = endpoint.metadataEntity else { preconditionFailure("not a metadata endpoint") }
        let body: JSONValue
        switch parseJSONBody(request, requestId: requestId) {
        case .failure(let answer): return answer.response
        case .success(let value): body = value
        }
        guard case .object(let object) = body else {
            return .error(status: 400, code: APIErrorCode.malformedJSON, message: "request body must be a JSON object",
                          requestId: requestId)
        }
        var envelope: [ContractViolation] = []
        for key in object.keys where key != "items" {
            envelope.append(ContractViolation(path: key, code: APIErrorCode.unknownField,
                                              message: "unknown field: the request has only items"))
        }
        var items: [JSONValue] = []
        switch object["items"] {
        case nil, .null?:
            envelope.append(ContractViolation(path: "items", code: APIErrorCode.missingField, message: "required field is missing"))
        case .array(let elements)?:
            if elements.isEmpty || elements.count > APILimits.maxMetadataItems {
                envelope.append(ContractViolation(path: "items", code: APIErrorCode.itemCount,
                                                  message: "has \(elements.count) items; expected 1 to \(APILimits.maxMetadataItems)"))
            }
            items = elements
        case .some:
            envelope.append(ContractViolation(path: "items", code: APIErrorCode.invalidValue, message: "expected an array of items"))
        }
        guard envelope.isEmpty else { return refusal(envelope, requestId: requestId) }

        var accepted: [JSONValue] = []
        accepted.reserveCapacity(items.count)
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let violations = ContractValidator.validate(item, against: entity.itemSchema, path: "items[\(index)]")
            if violations.isEmpty { accepted.append(item) }
            results.append(SandboxAPI.itemResult(eventId: SandboxAPI.eventId(of: item), violations: violations))
        }
        recorder.accept(items: accepted, entity: entity, endpoint: endpoint)
        let json = JSONValue.object(JSONObject([
            ("errorCount", .int(Int64(items.count - accepted.count))),
            ("results", .array(results)),
        ]))
        return SandboxResponse(status: accepted.isEmpty ? 400 : 200, json: json)
    }

    /// The item's own `eventId` when it sent a valid one, else a generated UUID, as the vendor does.
    static func eventId(of item: JSONValue) -> String {
        if case .string(let sent)? = item["eventId"], CharacterPattern.id.matches(sent),
           sent.utf16.count <= APILimits.defaultMaxLength {
            return sent
        }
        return SandboxIdentifiers.uuid()
    }

    /// `{"eventId","error"}`, the error in the vendor's form `FAIL_BAD_PARAMS: ERROR: <path>: <message>`.
    static func itemResult(eventId: String, violations: [ContractViolation]) -> JSONValue {
        var error = ""
        if let first = violations.first {
            error = "FAIL_BAD_PARAMS: ERROR: \(first.path): \(first.message)"
            if violations.count > 1 { error += " (and \(violations.count - 1) more)" }
        }
        return .object(JSONObject([("eventId", .string(eventId)), ("error", .string(error))]))
    }
}
