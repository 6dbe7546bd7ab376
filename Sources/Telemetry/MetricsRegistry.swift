import Synchronization

/// Counters and gauges of a long-running sync, rendered in the Prometheus text format.
public final class MetricsRegistry: Sendable {
    private struct Sample: Hashable {
        var name: String
        var stream: String?
    }

    private struct State {
        var counters: [Sample: Double] = [:]
        var gauges: [Sample: Double] = [:]
        var healthy = true
        var healthReason = "no run yet"
    }

    private let state = Mutex(State())
    private static let help: [String: (type: String, help: String)] = [
        "asapp_sync_rows_read_total": ("counter", "Source rows read."),
        "asapp_sync_items_sent_total": ("counter", "Items the API acknowledged."),
        "asapp_sync_items_rejected_total": ("counter", "Rows recorded as rejected (by the mapping or the API)."),
        "asapp_sync_requests_total": ("counter", "Requests answered by the API."),
        "asapp_sync_runs_total": ("counter", "Sync runs finished, by status."),
        "asapp_sync_run_duration_seconds": ("gauge", "Duration of the last run."),
        "asapp_sync_last_success_timestamp_seconds": ("gauge", "Unix time of the last run that did not fail."),
        "asapp_sync_watermark_lag_seconds": ("gauge", "Time between now and the stream's checkpoint watermark."),
    ]

    /// An empty registry.
    public init() {}

    /// Adds `value` to counter `name` for `stream`.
    public func add(_ name: String, _ value: Double, stream: String? = nil) {
        state.withLock { $0.counters[Sample(name: name, stream: stream), default: 0] += value }
    }

    /// Sets gauge `name` for `stream`.
    public func set(_ name: String, _ value: Double, stream: String? = nil) {
        state.withLock { $0.gauges[Sample(name: name, stream: stream)] = value }
    }

    /// Records whether the service is healthy, and why not.
    public func setHealth(_ healthy: Bool, reason: String) {
        state.withLock {
            $0.healthy = healthy
            $0.healthReason = reason
        }
    }

    /// Whether the service is healthy, and the reason given.
    public var health: (healthy: Bool, reason: String) {
        state.withLock { ($0.healthy, $0.healthReason) }
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        let (counters, gauges) = state.withLock { ($0.counters, $0.gauges) }
        var out = ""
        let all = counters.map { ($0.key, $0.value) } + gauges.map { ($0.key, $0.value) }
        let names = Set(all.map(\.0.name)).sorted()
        for name in names {
            if let meta = Self.help[name] {
                out += "# HELP \(name) \(meta.help)\n# TYPE \(name) \(meta.type)\n"
            }
            for (sample, value) in all.filter({ $0.0.name == name }).sorted(by: { ($0.0.stream ?? "") < ($1.0.stream ?? "") }) {
                let labels = sample.stream.map { "{stream=\"\(Self.escape($0))\"}" } ?? ""
                out += "\(name)\(labels) \(Self.format(value))\n"
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
