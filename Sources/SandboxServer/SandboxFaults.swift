/// Failures the sandbox injects into vendor API requests (never into `/v1/health` or the `/sandbox/v1`
/// inspection routes), to exercise a client's retry and back-off paths.
///
/// Decisions come from a generator seeded with `seed`, so a run with the same requests in the same order
/// meets the same faults. An injected fault is decided after routing and authentication and before the
/// body is looked at; nothing of such a request is recorded except its status in the counters.
/// Faults can be changed while the sandbox runs: `Sandbox.faults` in process, `POST /sandbox/v1/faults`
/// over HTTP.
public struct SandboxFaults: Sendable, Hashable {
    /// Fraction (0…1) of requests answered `429` (`429-01`) with a `Retry-After` header; default 0.
    public var tooManyRequestsRate: Double = 0
    /// The `Retry-After` value of injected `429`s, in seconds; default 1.
    public var retryAfterSeconds: Int = 1
    /// Fraction (0…1) of requests answered `503` (`503-01`); default 0.
    public var serviceUnavailableRate: Double = 0
    /// Fraction (0…1) of requests answered `500` (`500-01`); default 0.
    public var internalErrorRate: Double = 0
    /// Fraction (0…1) of requests whose connection is closed without any answer; default 0.
    public var dropConnectionRate: Double = 0
    /// Delay added before every answer; default zero.
    public var latency: Duration = .zero
    /// A request body larger than this many bytes is answered `413` (`413-01`), like the configured
    /// `SandboxConfiguration.maxBodyBytes` but changeable at runtime; default `nil`, no extra limit.
    public var maxBodyBytes: Int? = nil
    /// The most vendor requests answered at once (from the moment one is taken until its answer is written,
    /// `latency` included); one more is answered `429` (`429-01`) with `Retry-After`, as an API at its
    /// capacity does. Default `nil`, no limit.
    public var maxConcurrentRequests: Int? = nil
    /// Seed of the fault decisions; default 1.
    public var seed: UInt64 = 1

    /// No faults.
    public init() {}

    /// Whether any fault or delay is configured.
    public var isActive: Bool {
        tooManyRequestsRate > 0 || serviceUnavailableRate > 0 || internalErrorRate > 0 || dropConnectionRate > 0
            || latency > .zero || maxBodyBytes != nil || maxConcurrentRequests != nil
    }

    /// The fraction of requests that meet a random fault (drop, 429, 503 or 500).
    public var totalRate: Double {
        tooManyRequestsRate + serviceUnavailableRate + internalErrorRate + dropConnectionRate
    }
}
