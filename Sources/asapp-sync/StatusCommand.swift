import ArgumentParser
import Loader
import Mapping
import SyncEngine

/// `asapp-sync status`: where every stream stands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each stream's checkpoint, how far behind the source it is, its last run and its open rejects.",
        discussion: """
            Reads the connector's state schema and counts the source rows after each checkpoint. Sends \
            nothing and changes nothing. A transcripts stream has two checkpoints: its conversations and \
            its messages.
            """
    )

    @Option(name: .customLong("mapping"), help: "The mapping file.")
    var mapping: String

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        _ = try logging.bootstrap()
        let env = Environment()
        let file = try MappingLoading.load(mapping)
        // Status talks to no API: placeholder credentials keep the configuration complete without reading secrets.
        var configuration = SyncConfiguration(source: database.source(env), loader: LoaderConfiguration(credentials: APICredentials(id: "", secret: "")))
        configuration.state = database.state(env)
        configuration.stateSchema = database.stateSchema
        let report: StatusReport
        do {
            report = try await StatusReport.collect(mapping: file, configuration: configuration)
        } catch {
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
        print(render(report))
    }

    func render(_ report: StatusReport) -> String {
        let header = ["checkpoint", "watermark", "key", "rows behind", "time behind", "last run", "outcome", "open rejects"]
        var rows: [[String]] = []
        var notes: [String] = []
        for e in report.entries {
            let c = e.checkpoint
            rows.append([c.name, c.position?.watermark ?? "(none)", c.position?.key ?? "", e.rowsBehind.map(String.init) ?? "?",
                         e.secondsBehind.map(Self.age) ?? "", c.lastRunStarted.map { String($0.prefix(19)) } ?? "never",
                         c.lastRunStatus ?? "", "\(c.openRejects)"])
            if let error = c.lastRunError { notes.append("\(c.name): last run: \(error)") }
            if let error = e.sourceError { notes.append("\(c.name): source: \(error)") }
        }
        for b in report.backfills {
            notes.append("backfill \(b.id) of \(b.stream): \(b.done)/\(b.total) windows done, \(b.rows) rows read (not completed; run the same backfill command to resume)")
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return ([line(header), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))] + rows.map { line($0).trimmingSuffixSpaces } + notes)
            .joined(separator: "\n")
    }

    static func age(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}

extension String {
    /// The text without trailing spaces.
    var trimmingSuffixSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
