/// When and how long to wait before trying a request again.
struct RetryPolicy: Sendable {
    var maxAttempts: Int
    var initialBackoff: Duration
    var maxBackoff: Duration

    /// Statuses worth another attempt: throttling and server-side failures.
    static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 503 || status == 502 || status == 504 || status == 500
    }

    /// Exponential backoff with full jitter (a uniform draw below the doubled ceiling), so many clients
    /// retrying at once spread out. A server's `Retry-After` replaces the draw, capped at `maxBackoff`.
    func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(retryAfter, maxBackoff) }
        let ceiling = initialBackoff * (1 << min(attempt - 1, 20))
        let capped = min(ceiling, maxBackoff)
        let nanos = capped.components.seconds * 1_000_000_000 + capped.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(nanos, 1)))
    }

    /// `Retry-After` as delay-seconds; an HTTP date is not honoured (the exponential backoff applies).
    static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension Set where Element == Character {
    fileprivate static var whitespaces: Set<Character> { [" ", "\t"] }
}
