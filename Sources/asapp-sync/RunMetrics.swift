import Foundation
import SyncCore
import SyncEngine
import Telemetry

/// Feeds a run's report into the metrics registry.
enum RunMetrics {
    static func record(_ report: SyncReport, into registry: MetricsRegistry) {
        for stream in report.streams {
            for phase in stream.phases {
                registry.add("asapp_sync_rows_read_total", Double(phase.stats.rowsRead), stream: phase.name)
                registry.add("asapp_sync_items_sent_total", Double(phase.stats.itemsSent), stream: phase.name)
                registry.add("asapp_sync_items_rejected_total", Double(phase.stats.itemsRejected), stream: phase.name)
                registry.add("asapp_sync_requests_total", Double(phase.stats.requests), stream: phase.name)
                if let watermark = phase.end?.watermark, let instant = parseInstant(watermark) {
                    registry.set("asapp_sync_watermark_lag_seconds", Date().timeIntervalSince1970 - instant, stream: phase.name)
                }
            }
        }
        registry.add("asapp_sync_runs_total", 1, stream: nil)
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        registry.set("asapp_sync_run_duration_seconds", seconds)
        if report.status != .failed {
            registry.set("asapp_sync_last_success_timestamp_seconds", Date().timeIntervalSince1970)
            registry.setHealth(true, reason: "last run: \(report.status.rawValue)")
        } else {
            registry.setHealth(false, reason: "last run failed: " + report.streams.compactMap(\.error).joined(separator: "; "))
        }
    }

    /// Seconds since the epoch of a checkpoint watermark written as `yyyy-MM-ddTHH:mm:ss[.ffffff]Z`.
    static func parseInstant(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"), b.last == UInt8(ascii: "Z") else { return nil }
        func n(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = n(0, 4), let mo = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let s = n(17, 2) else { return nil }
        let micros = CivilTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).microsecondsSinceEpoch
        return Double(micros) / 1_000_000
    }
}
