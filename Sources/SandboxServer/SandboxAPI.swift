import APIContract
import Logging
import SyncCore

/// The sandbox's behaviour, independent of the network: one complete request in, one answer out.
///
/// Order of checks on a vendor route: path → method (`404-02`, `405-01`) → credentials (`401-01`,
/// `403-01`; not for `GET /v1/health`) → injected faults → path parameter (`400-07`) → conversation
/// exists (`404-01`) → `Content-Type` (`400-08`) → JSON (`400-01`) → contract.
/// Bodies over the size limit are answered `413-01` by the network layer before any of this.
struct SandboxAPI: Sendable {
    /// Where a path leads.
    enum Route: Sendable {
        case endpoint(Endpoint, conversationId: String?)
        case inspection([Substring])
        case unrouted

        /// The counter name of the route.
        var name: String {
            switch self {
            case .endpoint(let endpoint, _): return endpoint.rawValue
            case .inspection: return "sandbox"
            case .unrouted: return "unrouted"
            }
        }
    }

    let recorder: SandboxRecorder
    let logger: Logger
    private let apiID: [UInt8]
    private let apiSecret: [UInt8]
    private let faultState: Locked<(faults: SandboxFaults, random: UInt64)>
    /// Vendor requests taken and not yet answered, for `SandboxFaults.maxConcurrentRequests`.
    private let answering = Locked(0)

    init(configuration: SandboxConfiguration, recorder: SandboxRecorder, logger: Logger) {
        self.recorder = recorder
        self.logger = logger
        self.apiID = Array(configuration.apiID.utf8)
        self.apiSecret = Array(configuration.apiSecret.utf8)
        self.faultState = Locked((configuration.faults, configuration.faults.seed))
    }

    /// The faults currently injected.
    var faults: SandboxFaults {
        get { faultState.withLock { $0.faults } }
        nonmutating set { faultState.withLock { $0 = (newValue, newValue.seed) } }
    }

    /// Answers one request and counts it.
    func handle(_ request: SandboxRequest) -> SandboxResponse {
        let requestId = SandboxIdentifiers.uuid()
        let route = SandboxAPI.route(request.path)
        let response: SandboxResponse
        switch route {
        case .inspection(let components):
            response = inspect(request, components, requestId: requestId)
        case .unrouted:
            response = .error(status: 404, code: APIErrorCode.unknownPath, message: "no such path", requestId: requestId)
        case .endpoint(let endpoint, let conversationId):
            response = handle(request, endpoint, conversationId: conversationId, requestId: requestId)
        }
        if case .inspection = route {} else {
            recorder.recordRequest(routeName: route.name, status: response.status)
        }
        logger.debug("sandbox request answered", metadata: [
            "method": "\(request.method)",
            "route": "\(route.name)",
            "status": "\(response.status)",
            "request-id": "\(requestId)",
        ])
        var answered = response
        answered.headers.append(("x-request-id", requestId))
        return answered
    }

    /// The answer to a request too large to read, counted like any other.
    func bodyTooLarge(path: String, limit: Int) -> SandboxResponse {
        let requestId = SandboxIdentifiers.uuid()
        let route = SandboxAPI.route(path)
        recorder.recordRequest(routeName: route.name, status: 413)
        logger.debug("sandbox request body too large", metadata: ["route": "\(route.name)", "request-id": "\(requestId)"])
        return .error(status: 413, code: APIErrorCode.bodyTooLarge,
                      message: "request body exceeds \(limit) bytes", requestId: requestId)
    }

    private func handle(_ request: SandboxRequest, _ endpoint: Endpoint, conversationId: String?,
                        requestId: String) -> SandboxResponse {
        guard request.method == endpoint.method else {
            return .error(status: 405, code: APIErrorCode.methodNotAllowed,
                          message: "\(endpoint.pathTemplate) accepts \(endpoint.method) only", requestId: requestId)
        }
        if endpoint.requiresCredentials {
            if let refusal = authenticate(request, requestId: requestId) { return refusal }
            if let fault = injectedFault(request, requestId: requestId) { return fault }
        }
        let faults = faults
        var holdsPlace = false
        if endpoint.requiresCredentials, let capacity = faults.maxConcurrentRequests {
            holdsPlace = answering.withLock { count in
                guard count < capacity else { return false }
                count += 1
                return true
            }
            guard holdsPlace else {
                var response = SandboxResponse.error(status: 429, code: APIErrorCode.tooManyRequests,
                                                     message: "too many requests at once (at most \(capacity))", requestId: requestId)
                response.headers.append(("retry-after", String(faults.retryAfterSeconds)))
                response.delay = faults.latency
                return response
            }
        }
        var response = dispatch(request, endpoint, conversationId: conversationId, requestId: requestId)
        if endpoint.requiresCredentials {
            response.delay = faults.latency
        }
        response.holdsPlace = holdsPlace
        return response
    }

    /// Gives back the place of a request counted by `SandboxFaults.maxConcurrentRequests`, once its
    /// answer is delivered (or its connection gone).
    func answered(_ response: SandboxResponse) {
        guard response.holdsPlace else { return }
        answering.withLock { $0 -= 1 }
    }

    private func dispatch(_ request: SandboxRequest, _ endpoint: Endpoint, conversationId: String?,
                          requestId: String) -> SandboxResponse {
        switch endpoint {
        case .health:
            return SandboxResponse(status: 200, json: .object(JSONObject([("healthCheck", .string("SUCCESS"))])))
        case .singleAgentMetadata, .singleConvoMetadata, .singleCustomerMetadata:
            return ingestSingle(request, endpoint, requestId: requestId)
        case .manyAgentMetadata, .manyConvoMetadata, .manyCustomerMetadata:
            return ingestMany(request, endpoint, requestId: requestId)
        case .createConversation:
            return createConversation(request, requestId: requestId)
        case .createMessage, .createMessageBatch:
            return createMessages(request, endpoint, conversationId: conversationId ?? "", requestId: requestId)
        }
    }

    // MARK: Shared steps

    private func authenticate(_ request: SandboxRequest, requestId: String) -> SandboxResponse? {
        guard let id = request.header("asapp-api-id"), let secret = request.header("asapp-api-secret") else {
            return .error(status: 401, code: APIErrorCode.missingCredentials,
                          message: "asapp-api-id and asapp-api-secret headers are required", requestId: requestId)
        }
        // Both are compared in full, in constant time, so timing reveals neither.
        let idMatches = SandboxAPI.constantTimeEquals(Array(id.utf8), apiID)
        let secretMatches = SandboxAPI.constantTimeEquals(Array(secret.utf8), apiSecret)
        guard idMatches && secretMatches else {
            return .error(status: 403, code: APIErrorCode.badCredentials, message: "credentials not recognised",
                          requestId: requestId)
        }
        return nil
    }

    private func injectedFault(_ request: SandboxRequest, requestId: String) -> SandboxResponse? {
        let (faults, roll) = faultState.withLock { state -> (SandboxFaults, Double) in
            guard state.faults.totalRate > 0 else { return (state.faults, 1) }
            return (state.faults, SandboxAPI.nextUnitInterval(&state.random))
        }
        guard faults.isActive else { return nil }
        if let limit = faults.maxBodyBytes, request.body.count > limit {
            var response = SandboxResponse.error(status: 413, code: APIErrorCode.bodyTooLarge,
                                                 message: "request body exceeds \(limit) bytes", requestId: requestId)
            response.delay = faults.latency
            return response
        }
        var threshold = faults.dropConnectionRate
        if roll < threshold {
            var response = SandboxResponse(status: 0, json: .null)
            response.delivery = .dropConnection
            response.delay = faults.latency
            return response
        }
        threshold += faults.tooManyRequestsRate
        if roll < threshold {
            var response = SandboxResponse.error(status: 429, code: APIErrorCode.tooManyRequests,
                                                 message: "too many requests", requestId: requestId)
            response.headers.append(("retry-after", String(faults.retryAfterSeconds)))
            response.delay = faults.latency
            return response
        }
        threshold += faults.serviceUnavailableRate
        if roll < threshold {
            var response = SandboxResponse.error(status: 503, code: APIErrorCode.serviceUnavailable,
                                                 message: "service unavailable", requestId: requestId)
            response.delay = faults.latency
            return response
        }
        threshold += faults.internalErrorRate
        if roll < threshold {
            var response = SandboxResponse.error(status: 500, code: APIErrorCode.internalError,
                                                 message: "internal error", requestId: requestId)
            response.delay = faults.latency
            return response
        }
        return nil
    }

    /// Whether the request says its body is JSON (else it is answered `400-08`): its content type is
    /// `application/json` in any case, parameters and spaces around it aside. Read off the header's bytes:
    /// every request asks.
    func hasJSONContentType(_ request: SandboxRequest) -> Bool {
        guard let value = request.header("content-type") else { return false }
        var type = value.utf8[...]
        if let semicolon = type.firstIndex(of: UInt8(ascii: ";")) { type = type[..<semicolon] }
        while let first = type.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { type.removeFirst() }
        while let last = type.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { type.removeLast() }
        return type.elementsEqual("application/json".utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte) == expected
        }
    }

    /// What one scan of the body's bytes (`ContractScan`) vouches for: the body is JSON of a content
    /// type the API takes and conforms to `schema`. `nil` sends the body down the full path (parse,
    /// then check), which gives every refusal its exact answer.
    func scanConforming(_ request: SandboxRequest, _ schema: ObjectSchema, capture: ContractScan.Capture = .none) -> ContractScan.Report? {
        guard hasJSONContentType(request) else { return nil }
        return ContractScan.conforming(request.body, to: schema, capture: capture)
    }

    /// What the recorder needs of a body the scan vouched for.
    enum VouchedBody {
        /// Nothing: it counts, and keeps no bodies.
        case notNeeded
        /// The body as a tree, to keep.
        case tree(JSONValue)
    }

    /// What the recorder needs of a body the scan vouched for; `nil` if the body would not parse (which
    /// a vouched body always does), so the caller takes the full path.
    func vouchedBody(_ request: SandboxRequest) -> VouchedBody? {
        guard recorder.needsBodies else { return .notNeeded }
        return (try? JSONParser.parse(request.body)).map(VouchedBody.tree)
    }

    /// The parsed body, or the error answer: `400-08` for another content type, `400-01` for bad JSON.
    func parseJSONBody(_ request: SandboxRequest, requestId: String) -> Result<JSONValue, SandboxAnswer> {
        guard hasJSONContentType(request) else {
            return .failure(SandboxAnswer(.error(status: 400, code: APIErrorCode.unsupportedContentType,
                                                 message: "Content-Type must be application/json", requestId: requestId)))
        }
        do {
            return .success(try JSONParser.parse(request.body))
        } catch {
            return .failure(SandboxAnswer(.error(status: 400, code: APIErrorCode.malformedJSON,
                                                 message: error.description, requestId: requestId)))
        }
    }

    /// The request's JSON body when it is an object; the 400 answer otherwise.
    func parseJSONObjectBody(_ request: SandboxRequest, requestId: String) -> Result<JSONValue, SandboxAnswer> {
        switch parseJSONBody(request, requestId: requestId) {
        case .failure(let answer): return .failure(answer)
        case .success(let body):
            guard case .object = body else {
                return .failure(SandboxAnswer(.error(status: 400, code: APIErrorCode.malformedJSON, message: "request body must be a JSON object",
                                                     requestId: requestId)))
            }
            return .success(body)
        }
    }

    /// The envelope for a body refused as a whole: the first violation, and how many others there were.
    func refusal(_ violations: [ContractViolation], requestId: String) -> SandboxResponse {
        let first = violations[0]
        var message = first.description
        if violations.count > 1 { message += " (and \(violations.count - 1) more)" }
        return .error(status: 400, code: first.code, message: message, requestId: requestId)
    }

    // MARK: Helpers

    static func route(_ path: String) -> Route {
        // A message batch, the request a transcripts sync sends most, is told without splitting the path.
        let batchPrefix = "/conversation/v1/conversations/", batchSuffix = "/messages/batch"
        if path.hasPrefix(batchPrefix), path.hasSuffix(batchSuffix), path.utf8.count >= batchPrefix.utf8.count + batchSuffix.utf8.count {
            let id = path.utf8.dropFirst(batchPrefix.utf8.count).dropLast(batchSuffix.utf8.count)
            if !id.contains(UInt8(ascii: "/")) { return .endpoint(.createMessageBatch, conversationId: String(Substring(id))) }
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        // A leading "/" yields an empty first component; anything else is not a path we serve.
        guard components.count >= 2, components[0].isEmpty else { return .unrouted }
        let parts = Array(components.dropFirst())
        switch parts.count {
        case 2 where parts[0] == "v1" && parts[1] == "health":
            return .endpoint(.health, conversationId: nil)
        case 3 where parts[0] == "metadata-ingestion" && parts[1] == "v1":
            guard let endpoint = Endpoint(rawValue: String(parts[2])), endpoint.metadataEntity != nil else { return .unrouted }
            return .endpoint(endpoint, conversationId: nil)
        case 3 where parts[0] == "conversation" && parts[1] == "v1" && parts[2] == "conversations":
            return .endpoint(.createConversation, conversationId: nil)
        case 5 where parts[0] == "conversation" && parts[1] == "v1" && parts[2] == "conversations" && parts[4] == "messages":
            return .endpoint(.createMessage, conversationId: String(parts[3]))
        case 6 where parts[0] == "conversation" && parts[1] == "v1" && parts[2] == "conversations"
            && parts[4] == "messages" && parts[5] == "batch":
            return .endpoint(.createMessageBatch, conversationId: String(parts[3]))
        default:
            if parts.count >= 2 && parts[0] == "sandbox" && parts[1] == "v1" {
                return .inspection(Array(parts.dropFirst(2)))
            }
            return .unrouted
        }
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }

    /// SplitMix64, mapped to [0, 1): small, fast and reproducible from a seed.
    static func nextUnitInterval(_ state: inout UInt64) -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

/// An error answer carried through `Result`.
struct SandboxAnswer: Error, Sendable {
    let response: SandboxResponse
    init(_ response: SandboxResponse) { self.response = response }
}

