import Checkpoints
import Loader
import Postgres
import SyncEngine

/// The one-screen summary printed after a run.
enum Summary {
    static func render(_ report: SyncReport) -> String {
        var lines: [String] = []
        let header = ["stream", "items", "status", "rows", "sent", "rejected", "skipped", "requests", "time"]
        var rows: [[String]] = []
        for s in report.streams {
            if s.phases.isEmpty {
                rows.append([s.stream, s.target, s.status.rawValue, "0", "0", "0", "0", "0", seconds(s.duration)])
            }
            for (i, p) in s.phases.enumerated() {
                // A transcripts stream has two parts: the conversations created or updated, and the messages.
                let items = p.name.hasSuffix(":conversations") ? "conversations" : p.name.hasSuffix(":messages") ? "messages" : s.target
                rows.append([i == 0 ? s.stream : "", items, i == 0 ? s.status.rawValue : "", "\(p.stats.rowsRead)", "\(p.stats.itemsSent)",
                             "\(p.stats.itemsRejected)", "\(p.stats.skipped)", "\(p.stats.requests)", i == 0 ? seconds(s.duration) : ""])
            }
        }
        let t = report.totals
        rows.append(["total", "", report.status.rawValue.replacingOccurrences(of: "_", with: " "), "\(t.rowsRead)", "\(t.itemsSent)",
                     "\(t.itemsRejected)", "\(t.skipped)", "\(t.requests)", seconds(report.duration)])
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i >= 3 ? String(repeating: " ", count: widths[i] - c.count) + c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingSuffixSpaces
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        lines.append("sync run \(report.runID)")
        lines.append(line(header))
        lines.append(rule)
        for (i, r) in rows.enumerated() {
            if i == rows.count - 1 { lines.append(rule) }
            lines.append(line(r))
        }
        for s in report.streams {
            if let error = s.error { lines.append("\(s.stream): \(error)") }
            for p in s.phases {
                if let end = p.end, end != p.start { lines.append("\(p.name): checkpoint now at watermark \(end.watermark), key \(end.key)") }
            }
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
        SyncError.describe(error)
    }
}
