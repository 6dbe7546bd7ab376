public import APIContract
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization
public import SyncCore

/// The one way the connector talks to the API: authenticated JSON requests over pooled keep-alive
/// connections (`HTTPTransport`), retried where the facts say a retry can help.
///
/// Use `withClient(_:logger:_:)`, which always shuts the underlying client down.
public final class APIClient: Sendable {
    let configuration: LoaderConfiguration
    let http: HTTPTransport
    /// The headers every API request carries; the transport adds `Host` and `Content-Length`.
    let apiHeaders: HTTPHeaders
    let logger: Logger
    let retry: RetryPolicy
    /// Requests per second per endpoint, when capped.
    let rateLimiter: RequestRateLimiter?
    /// Requests in flight, cut when the API answers that it is overloaded.
    let inFlight: InFlightLimit
    /// Whether a cut of `inFlight` was logged at `info` already (later ones go to `debug`).
    private let cutLogged = Atomic<Bool>(false)

    init(configuration: LoaderConfiguration, logger: Logger) throws(LoaderConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.retry = RetryPolicy(maxAttempts: max(1, configuration.maxAttempts),
                                 initialBackoff: configuration.initialBackoff, maxBackoff: configuration.maxBackoff)
        self.rateLimiter = configuration.maxRequestsPerSecond.map { RequestRateLimiter(ratePerSecond: $0) }
        self.inFlight = InFlightLimit(ceiling: configuration.maxRequestsInFlight)
        self.http = try HTTPTransport(origin: try configuration.origin(), tls: try configuration.tlsConfiguration(),
                                      connectTimeout: configuration.connectTimeout)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "accept", value: "application/json")
        headers.add(name: "asapp-api-id", value: configuration.credentials.id)
        headers.add(name: "asapp-api-secret", value: configuration.credentials.secret)
        self.apiHeaders = headers
    }

    /// Runs `body` with a client for `configuration`, and shuts the client down however `body` ends.
    ///
    /// - Throws: `LoaderConfigurationError` before anything is sent when a setting cannot work (an
    ///   unreadable CA bundle, say); otherwise whatever `body` throws.
    public static func withClient<T: Sendable>(
        _ configuration: LoaderConfiguration,
        logger: Logger,
        _ body: (APIClient) async throws -> T
    ) async throws -> T {
        let client = try APIClient(configuration: configuration, logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        await client.http.shutdown()
        return try result.get()
    }

    /// One answer of the API.
    struct Answer {
        var status: Int
        /// The body as received.
        var bytes: [UInt8]
        var requestID: String?
        var attempts: Int

        /// The body as JSON; `nil` when it is empty or not JSON. Parsed where it is read: a batch's
        /// acknowledgement is read with `BatchAnswer` instead, and most answers need no more than that.
        var body: JSONValue? { bytes.isEmpty ? nil : try? JSONParser.parse(bytes) }
    }

    /// Posts `body` to `path`, retrying throttling, server failures and transport errors with backoff.
    ///
    /// Every attempt waits for the endpoint's rate limit first, when one is set, then for room under the
    /// client's in-flight limit (`InFlightLimit`), which `429` and `503` answers cut. A request waiting
    /// out a backoff holds no room. Every answer that is not retryable is returned as it is; the caller
    /// decides what it means.
    func post(_ path: String, endpoint: Endpoint, body: ByteBuffer) async throws(DeliveryError) -> Answer {
        var attempt = 0
        var lastStatus: Int?
        var lastMessage = ""
        var lastRequestID: String?
        while true {
            attempt += 1
            var retryAfter: Duration?
            do {
                try await rateLimiter?.acquire(endpoint.pathTemplate)
                let permit = try await inFlight.acquire()
                let response: HTTPTransport.Response
                do {
                    response = try await http.send(.POST, path: path, headers: apiHeaders, body: body,
                                                   timeout: configuration.requestTimeout,
                                                   maxResponseBytes: configuration.maxResponseBytes)
                } catch {
                    inFlight.release(permit, .unknown)
                    throw error
                }
                let status = response.status
                if let limit = inFlight.release(permit, status == 429 || status == 503 ? .overloaded : .answered) {
                    let first = !cutLogged.exchange(true, ordering: .relaxed)
                    logger.log(level: first ? .info : .debug, "the API answered that it is overloaded: fewer requests in flight from now on",
                               metadata: ["endpoint": "\(path)", "status": "\(status)", "in-flight-limit": "\(limit)"])
                }
                let bytes = Array(response.body.readableBytesView)
                // Only an error's envelope carries a request id; a success is not parsed here.
                let parsed = (200..<300).contains(status) || bytes.isEmpty ? nil : try? JSONParser.parse(bytes)
                let requestID = parsed?["error"]?["requestId"]?.stringValue ?? response.headers.first(name: "x-request-id")
                if !RetryPolicy.isRetryable(status: status) {
                    return Answer(status: status, bytes: bytes, requestID: requestID, attempts: attempt)
                }
                lastStatus = status
                lastRequestID = requestID
                lastMessage = parsed?["error"]?["message"]?.stringValue ?? "the API answered \(status)"
                retryAfter = RetryPolicy.parseRetryAfter(response.headers.first(name: "retry-after"))
                logger.debug("request will be retried", metadata: ["endpoint": "\(path)", "status": "\(status)", "attempt": "\(attempt)"])
            } catch is CancellationError {
                throw DeliveryError(code: .retriesExhausted, endpoint: path, status: lastStatus, requestID: lastRequestID,
                                    apiCode: nil, message: "cancelled", attempts: attempt)
            } catch {
                lastStatus = nil
                lastMessage = APIClient.describeTransportError(error)
                logger.debug("request failed in transport and will be retried",
                             metadata: ["endpoint": "\(path)", "error": "\(lastMessage)", "attempt": "\(attempt)"])
            }
            if attempt >= retry.maxAttempts || Task.isCancelled {
                throw DeliveryError(code: .retriesExhausted, endpoint: path, status: lastStatus, requestID: lastRequestID,
                                    apiCode: nil, message: lastMessage, attempts: attempt)
            }
            do {
                try await Task.sleep(for: retry.delay(afterAttempt: attempt, retryAfter: retryAfter))
            } catch {
                throw DeliveryError(code: .retriesExhausted, endpoint: path, status: lastStatus, requestID: lastRequestID,
                                    apiCode: nil, message: "cancelled while waiting to retry", attempts: attempt)
            }
        }
    }

    /// A transport failure in words, without the URL (which is configuration, not a secret, but may be long).
    static func describeTransportError(_ error: any Error) -> String {
        if let e = error as? HTTPTransportError { return "transport: \(e)" }
        return "transport: \(type(of: error)): \(error)"
    }

    /// The error envelope's fields: (`code`, `message`).
    static func envelope(_ body: JSONValue?) -> (code: String?, message: String?) {
        (body?["error"]?["code"]?.stringValue, body?["error"]?["message"]?.stringValue)
    }

    /// The error for an answer that stops the run (401, 403) or cannot be acted on.
    static func refusal(_ answer: Answer, path: String) -> DeliveryError? {
        guard [401, 403, 404, 405].contains(answer.status) else { return nil }
        let (code, message) = envelope(answer.body)
        switch answer.status {
        case 401:
            return DeliveryError(code: .unauthorized, endpoint: path, status: 401, requestID: answer.requestID, apiCode: code,
                                 message: "the API did not accept the credentials (check ASAPP_API_ID and ASAPP_API_SECRET)",
                                 attempts: answer.attempts)
        case 403:
            return DeliveryError(code: .forbidden, endpoint: path, status: 403, requestID: answer.requestID, apiCode: code,
                                 message: "these credentials may not use this endpoint", attempts: answer.attempts)
        case 404, 405:
            return DeliveryError(code: .requestRefused, endpoint: path, status: answer.status, requestID: answer.requestID, apiCode: code,
                                 message: message ?? "the endpoint was not found (check the API base URL)", attempts: answer.attempts)
        default:
            return nil
        }
    }

    /// Answers `GET /v1/health` with the API's own words, for preflight checks.
    public func health() async throws -> Bool {
        let response = try await http.send(.GET, path: Endpoint.health.path(), headers: apiHeaders, body: nil,
                                           timeout: configuration.requestTimeout, maxResponseBytes: 1 << 16)
        let body = try? JSONParser.parse(Array(response.body.readableBytesView))
        return response.status == 200 && body?["healthCheck"]?.stringValue == "SUCCESS"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
