import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Extractor
import Mapping
import Postgres
import Synchronization
import SyncEngine

/// `asapp-sync backfill`: a one-off historical load of one stream's range.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Load a stream's history over a range, in windows, resumably, apart from its incremental checkpoint.",
        discussion: """
            The range [--from, --to) is cut into windows of --window; the plan and each window's progress \
            are kept in the state schema. Windows are read in keyset pages by --parallel workers, each with \
            its own source connection, under --max-rows-per-second. Running the same command again resumes \
            the unfinished windows only. A backfill can run while scheduled syncs of the same stream go on.

            --from/--to are timestamps (2024-01-01, 2024-01-01T06:00:00Z) with --window an interval \
            (1d, 6h, 30m), or whole numbers (serial watermarks) with --window a whole number.

            On a terminal a live line shows windows done, rows, items sent, rate, ETA and rejects; otherwise \
            a log line every few seconds. SIGINT or SIGTERM stops at committed batches.
            Exit codes: 0 completed, 1 failed, 3 completed with rejects, 130 stopped by a signal.
            """
    )

    @Option(name: .customLong("mapping"), help: "The mapping file.")
    var mapping: String

    @Option(name: .customLong("stream"), help: "The (metadata) stream to backfill.")
    var stream: String

    @Option(help: "The range's start (inclusive).")
    var from: String

    @Option(help: "The range's end (exclusive).")
    var to: String

    @Option(help: "Each window's size: 1d, 6h, 30m for timestamps; a whole number for numeric watermarks.")
    var window: String = "1d"

    @Option(help: "Windows read at once (one source connection each).")
    var parallel: Int = 2

    @Option(name: .customLong("max-rows-per-second"), help: "A cap on source rows read per second, over all workers.")
    var maxRowsPerSecond: Double?

    @Option(name: .customLong("statement-timeout"), help: ArgumentHelp("Cancel any source statement running longer than this (e.g. 30s).", valueName: "DURATION"))
    var statementTimeout: String?

    @Option(name: .customLong("page-size"), help: "Rows read per keyset page.")
    var pageSize: Int = WatermarkExtractor.defaultPageSize

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var logging: LoggingOptions

    var numeric: Bool { Int64(from) != nil && Int64(to) != nil }

    func validate() throws {
        guard (1...32).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 32") }
        if let maxRowsPerSecond, maxRowsPerSecond <= 0 { throw ValidationError("--max-rows-per-second must be more than 0") }
        if numeric {
            guard let w = Int64(window), w > 0 else { throw ValidationError("with numeric --from/--to, --window must be a whole number above 0") }
        } else {
            guard DurationText.parse(window).map({ $0 > .zero }) == true else {
                throw ValidationError("--window must be a duration such as 1d, 6h or 30m")
            }
        }
        if let statementTimeout, DurationText.parse(statementTimeout) == nil {
            throw ValidationError("--statement-timeout must be a duration such as 30s")
        }
    }

    /// The window as a PostgreSQL interval (`86400 seconds`) or a whole number.
    var windowValue: String {
        if numeric { return window }
        let seconds = DurationText.parse(window)!.components.seconds
        return "\(seconds) seconds"
    }

    func run() async throws {
        let logger = try logging.bootstrap()
        let env = Environment()
        let file = try MappingLoading.load(mapping)
        var configuration = try database.syncConfiguration(env, api: api, statementTimeout: statementTimeout)
        configuration.pageSize = pageSize
        Signals.install()
        configuration.stop = processStop
        var options = BackfillOptions(from: from, to: to, window: windowValue, numeric: numeric)
        options.parallel = parallel
        options.maxRowsPerSecond = maxRowsPerSecond

        let display = ProgressDisplay(terminal: isatty(STDERR_FILENO) == 1)
        let report: BackfillReport
        do {
            report = try await BackfillRunner(configuration: configuration, logger: logger)
                .run(mapping: file, stream: stream, options: options) { display.show($0) }
        } catch let error as SyncError {
            printError("asapp-sync: error: \(error.message)")
            throw ExitCodes.runFailed
        } catch {
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
        display.finish()
        let p = report.progress
        print("""
            backfill \(report.backfillID) of \(stream) [\(from), \(to)): \(report.status.rawValue)\(report.resumed ? " (resumed)" : "")
            windows \(p.windowsDone)/\(p.windowsTotal)  rows \(p.rowsRead)  sent \(p.itemsSent)  rejected \(p.itemsRejected)  time \(Summary.seconds(p.elapsed))
            """)
        if let error = report.error { print("error: \(error)") }
        switch report.status {
        case .completed: if p.itemsRejected > 0 { throw ExitCodes.completedWithRejects }
        case .interrupted: throw ExitCode(130)
        case .failed: throw ExitCodes.runFailed
        }
    }
}

/// Backfill progress on standard error: one live line on a terminal, a line every few seconds otherwise.
final class ProgressDisplay: Sendable {
    let terminal: Bool
    private let lastLine = Mutex<ContinuousClock.Instant?>(nil)

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ p: BackfillProgress) {
        let seconds = max(0.001, Double(p.elapsed.components.seconds) + Double(p.elapsed.components.attoseconds) / 1e18)
        let rate = Double(p.rowsRead) / seconds
        let left = max(0, p.rowsTotal - p.rowsRead)
        let eta = rate > 0 && left > 0 ? StatusCommand.age(Double(left) / rate) : "-"
        let text = "windows \(p.windowsDone)/\(p.windowsTotal)  rows \(p.rowsRead)/\(p.rowsTotal)  sent \(p.itemsSent)  "
            + "\(Int(rate)) rows/s  ETA \(eta)  rejected \(p.itemsRejected)"
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            return
        }
        let now = ContinuousClock().now
        let due = lastLine.withLock { last -> Bool in
            if let l = last, now - l < .seconds(5) { return false }
            last = now
            return true
        }
        if due { printError("backfill: " + text) }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
