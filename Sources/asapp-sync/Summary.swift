import Checkpoints
import Loader
import Postgres
import SyncEngine

/// The one-screen summary printed after a run.
enum Summary {
    static func render(_ report: SyncReport) -> String {
        var lines: [String] = []
        let header = ["stream", "target", "status", "rows", "sent", "rejected", "requests", "time"]
        var rows: [[String]] = []
        for s in report.streams {
            rows.append([s.stream, s.target, s.status.rawValue, "\(s.stats.rowsRead)", "\(s.stats.itemsSent)",
                         "\(s.stats.itemsRejected)", "\(s.stats.requests)", seconds(s.duration)])
        }
        let t = report.totals
        rows.append(["total", "", report.status.rawValue.replacingOccurrences(of: "_", with: " "), "\(t.rowsRead)", "\(t.itemsSent)",
                     "\(t.itemsRejected)", "\(t.requests)", seconds(report.duration)])
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i >= 3 ? String(repeating: " ", count: widths[i] - c.count) + c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        lines.append("sync run \(report.runID)")
        lines.append(line(header))
        lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        for (i, r) in rows.enumerated() {
            if i == rows.count - 1 { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
            lines.append(line(r))
        }
        for s in report.streams {
            if let error = s.error { lines.append("\(s.stream): \(error)") }
            if let end = s.end, end != s.start { lines.append("\(s.stream): checkpoint now at watermark \(end.watermark), key \(end.key)") }
        }
        if t.itemsRejected > 0 {
            lines.append("rejected rows are recorded with their reasons in the rejects table")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return "\(ms / 1000).\(String(format3(ms % 1000)))s"
    }

    static func format3(_ v: Int64) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 3 - s.count)) + s
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as PostgresError: "\(e)"
        case let e as DeliveryError: "\(e)"
        case let e as CheckpointError: "\(e)"
        default: "\(error)"
        }
    }
}
