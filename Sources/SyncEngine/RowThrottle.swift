/// A cap on rows read per second, shared by concurrent readers: a token bucket holding one second of
/// rows, so short bursts pass and the average stays under the cap.
actor RowThrottle {
    private let rate: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant
    private let clock = ContinuousClock()

    /// A throttle of `rowsPerSecond` (more than zero).
    init(rowsPerSecond: Double) {
        self.rate = rowsPerSecond
        self.tokens = rowsPerSecond
        self.last = ContinuousClock().now
    }

    /// Waits until `rows` may be read. A request larger than the bucket waits for its share of time.
    func acquire(_ rows: Int) async {
        refill()
        tokens -= Double(rows)
        if tokens < 0 {
            let wait = -tokens / rate
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
            refill()
        }
    }

    private func refill() {
        let now = clock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(rate, tokens + seconds * rate)
    }
}
