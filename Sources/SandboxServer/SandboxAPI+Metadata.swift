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
        guard let entity = endpoint.metadataEntity, let schema = endpoint.requestSchema else { preconditionFailure("not a metadata endpoint") }
        if let answer = ingestConforming(request, entity, endpoint, schema) { return answer }
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

    /// A batch whose every item conforms, as one scan of its bytes finds it: the same answer as the full
    /// path's, with no tree built (unless the recorder keeps bodies). `nil` when the scan cannot vouch
    /// for the batch; the full path then answers.
    private func ingestConforming(_ request: SandboxRequest, _ entity: MetadataEntity, _ endpoint: Endpoint,
                                  _ schema: ObjectSchema) -> SandboxResponse? {
        guard let report = scanConforming(request, schema, capture: .elements(array: "items", member: "eventId")) else { return nil }
        switch vouchedBody(request) {
        case nil: return nil
        case .notNeeded?: recorder.accept(itemCount: report.elementCount, entity: entity)
        case .tree(let body)?: recorder.accept(items: body["items"]?.arrayValue ?? [], entity: entity, endpoint: endpoint)
        }
        return SandboxResponse(status: 200, jsonText: SandboxAPI.acceptedBatchAnswer(request.body, eventIds: report.elementRanges))
    }

    /// `{"errorCount":0,"results":[{"eventId":…,"error":""},…]}` for a batch of conforming items: each
    /// item's own eventId (its text lies at the range given in `body`) or, where it sent none, a new one.
    static func acceptedBatchAnswer(_ body: [UInt8], eventIds: [Range<Int>?]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + eventIds.count * 64)
        out.append(contentsOf: #"{"errorCount":0,"results":["#.utf8)
        for (offset, range) in eventIds.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"eventId":"#.utf8)
            // A conforming eventId is id-pattern text: nothing in it needs escaping.
            if let range, range.count <= APILimits.defaultMaxLength, body[range].allSatisfy(CharacterPattern.id.contains) {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: body[range])
                out.append(UInt8(ascii: "\""))
            } else {
                JSONValue.encodeString(SandboxIdentifiers.uuid(), into: &out)
            }
            out.append(contentsOf: #","error":""}"#.utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
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
