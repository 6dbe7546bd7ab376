/// How the loader reaches the API and how hard it tries.
public struct LoaderConfiguration: Sendable {
    /// The API's base URL, without a trailing slash. Default: the vendor sandbox, `https://api.sandbox.asapp.com`.
    public var baseURL: String = "https://api.sandbox.asapp.com"
    /// The API id and secret.
    public var credentials: APICredentials
    /// Time allowed to open a connection. Default: 10 seconds.
    public var connectTimeout: Duration = .seconds(10)
    /// Time allowed for one request, from sending to the last byte of the answer. Default: 60 seconds.
    public var requestTimeout: Duration = .seconds(60)
    /// Attempts per request before its items count as failed-retryable. Default: 6.
    public var maxAttempts: Int = 6
    /// The first backoff; each retry doubles it, with full jitter. Default: 250 milliseconds.
    public var initialBackoff: Duration = .milliseconds(250)
    /// The longest backoff, and the longest `Retry-After` honoured. Default: 30 seconds.
    public var maxBackoff: Duration = .seconds(30)
    /// The largest response body read; a longer one is an error. Default: 8 MiB.
    public var maxResponseBytes: Int = 8 << 20
    /// The most requests per second sent to any one endpoint, retries included, shared by every
    /// concurrent request of this client. Default: `nil`, no limit.
    public var maxRequestsPerSecond: Double? = nil
    /// The most requests this client keeps in flight at once, over every stream. Under it the limit adapts:
    /// `429` and `503` answers halve it, answers that come back as asked raise it again by one request per
    /// round (see `InFlightLimit`). Default: 1,024, so that only the API's answers and the streams' own
    /// `--concurrency` bound it.
    public var maxRequestsInFlight: Int = 1024
    /// A PEM file of CA certificates to trust for HTTPS instead of the system's roots (certificates are
    /// always verified). Default: `nil`, the system's trust store.
    public var caBundlePath: String? = nil

    /// A configuration for `credentials` with every other setting at its default.
    public init(credentials: APICredentials) {
        self.credentials = credentials
    }
}
