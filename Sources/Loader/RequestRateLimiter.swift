/// Caps requests per second, per endpoint, for every concurrent request of one client.
///
/// Each endpoint has a token bucket holding at most one token, refilled at `ratePerSecond`: a request
/// takes the token, or reserves the next one and waits for it outside the actor. Reservations are handed
/// out in arrival order, so N requests to one endpoint take at least (N-1)/rate seconds however many run
/// at once, and no request waits longer than the ones queued before it.
actor RequestRateLimiter {
    /// The rate every endpoint is held to.
    nonisolated let ratePerSecond: Double
    private let interval: Duration
    private let clock = ContinuousClock()
    /// Per endpoint: the instant its next token is available.
    private var nextToken: [String: ContinuousClock.Instant] = [:]

    /// A limiter allowing `ratePerSecond` requests per second to each endpoint; must be positive and finite.
    init(ratePerSecond: Double) {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite, "the rate must be positive and finite")
        self.ratePerSecond = ratePerSecond
        self.interval = .nanoseconds(Int64((1_000_000_000 / ratePerSecond).rounded(.up)))
    }

    /// Waits until a request to `endpoint` may go.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting; its token is then wasted,
    ///   which only errs on the slow side.
    nonisolated func acquire(_ endpoint: String) async throws {
        let slot = await reserve(endpoint)
        let clock = ContinuousClock()
        if slot > clock.now {
            try await Task.sleep(until: slot, clock: clock)
        }
    }

    /// Takes `endpoint`'s next token and returns when it is available.
    func reserve(_ endpoint: String) -> ContinuousClock.Instant {
        let now = clock.now
        let slot = max(now, nextToken[endpoint] ?? now)
        nextToken[endpoint] = slot + interval
        return slot
    }
}
