import ArgumentParser
import Extractor
import Foundation
import Logging
import Mapping
import SyncEngine
import Telemetry

/// `asapp-sync sync`: one incremental run, then exit.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Run one incremental sync of all (or the named) streams, print a summary, and exit.",
        discussion: """
            Each stream reads the rows after its checkpoint up to the highest watermark present when the \
            stream starts, in pages ordered by (watermark, key). Items are checked against the API contract \
            before sending; rows that cannot be sent are recorded in the rejects table with the reason. A \
            stream's checkpoint moves only after the API acknowledged every row up to it, so a run that dies \
            resumes where it stopped.

            Each run reads up to a bound fixed at its start and kept below the start of the oldest \
            transaction still open in the database (so rows a transaction commits late are not passed \
            over; the role needs pg_read_all_stats to see other roles' transactions) and below now - --lag. \
            A timestamptz watermark read with `read: cursor` is bounded by that ceiling alone: no index \
            finds its highest value, and no row that can still commit lies between the two.

            With --every, runs repeat until SIGTERM or SIGINT; a signal lets the requests in flight finish, \
            commits them, and exits 0. Runs never overlap. A failed run is logged and the next one goes on.

            Credentials: ASAPP_API_ID and ASAPP_API_SECRET (or ASAPP_API_ID_FILE / ASAPP_API_SECRET_FILE).
            Exit codes: 0 all delivered (or stopped by a signal under --every), 1 failed, 3 completed with \
            rejects, 65 invalid mapping, 75 a stream was busy, 130 stopped by a signal.
            """
    )

    @Option(name: .customLong("mapping"), help: "The mapping file.")
    var mapping: String

    @Option(name: .customLong("stream"), help: "Sync only this stream (repeatable). Default: every stream in the file.")
    var streams: [String] = []

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var logging: LoggingOptions

    @Option(name: .customLong("page-size"), help: "Rows read per keyset page.")
    var pageSize: Int = WatermarkExtractor.defaultPageSize

    @Option(name: .customLong("batch-size"), help: "Items per request for streams that set no batch_size (1-1000).")
    var batchSize: Int = 1000

    @Option(name: .customLong("concurrency"),
            help: "Requests of one stream in flight at once (conversations at once, for transcripts). Default: 4 batches for a metadata stream, 128 for transcripts and for `delivery: single` streams, whose requests are small.")
    var concurrency: Int?

    @Option(name: .customLong("every"), help: ArgumentHelp("Run again at this interval until stopped (e.g. 30s, 5m, 1h).", valueName: "DURATION"))
    var every: String?

    @Flag(name: .customLong("wait"), help: "When another run holds a stream, wait for it instead of skipping the stream (exit 75).")
    var waitForLock = false

    @Option(name: .customLong("statement-timeout"), help: ArgumentHelp("Cancel any source statement running longer than this (e.g. 30s).", valueName: "DURATION"))
    var statementTimeout: String?

    @Option(name: .customLong("metrics-port"), help: "With --every: serve /metrics (Prometheus text) and /healthz on this port.")
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: "The address /metrics and /healthz listen on.")
    var metricsHost: String = "127.0.0.1"

    @Option(name: .customLong("lag"), help: ArgumentHelp("Leave rows younger than this for the next run (timestamptz watermarks).", valueName: "DURATION"))
    var lag: String = "0s"

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000 (the API's limit)") }
        guard pageSize >= 1 else { throw ValidationError("--page-size must be at least 1") }
        if let concurrency, !(1...256).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 256") }
        if let every, DurationText.parse(every).map({ $0 >= .seconds(1) }) != true {
            throw ValidationError("--every must be a duration of at least 1s, such as 30s, 5m or 1h")
        }
        guard DurationText.parse(lag) != nil else { throw ValidationError("--lag must be a duration such as 0s, 30s or 5m") }
        if let statementTimeout, DurationText.parse(statementTimeout) == nil {
            throw ValidationError("--statement-timeout must be a duration such as 30s")
        }
        if metricsPort != nil, every == nil { throw ValidationError("--metrics-port needs --every (it serves a long-running process)") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be between 0 and 65535") }
    }

    func run() async throws {
        let logger = try logging.bootstrap()
        let env = Environment()
        let file = try MappingLoading.load(mapping)
        var configuration = try database.syncConfiguration(env, api: api, statementTimeout: statementTimeout)
        configuration.waitForLock = waitForLock
        configuration.pageSize = pageSize
        configuration.defaultBatchSize = batchSize
        if let concurrency {
            configuration.maxInFlightBatches = concurrency
            configuration.smallRequestsInFlight = concurrency
        }
        configuration.bound = BoundPolicy(lag: DurationText.parse(lag) ?? .zero)
        Signals.install()
        configuration.stop = processStop
        let runner = SyncRunner(configuration: configuration, logger: logger)

        guard let every = every.flatMap(DurationText.parse) else {
            let report = try await runOnce(runner, file: file)
            print(Summary.render(report))
            if report.status == .interrupted { throw ExitCode(130) }
            if report.streams.contains(where: { $0.status == .busy }) { throw ExitCodes.streamBusy }
            switch report.status {
            case .succeeded: return
            case .completedWithRejects: throw ExitCodes.completedWithRejects
            default: throw ExitCodes.runFailed
            }
        }

        let registry = MetricsRegistry()
        var telemetry: TelemetryServer?
        if let metricsPort {
            telemetry = try await TelemetryServer.start(host: metricsHost, port: metricsPort, registry: registry)
            logger.info("metrics listening", metadata: ["address": "http://\(metricsHost):\(telemetry!.port)/metrics"])
        }
        logger.info("scheduled sync started", metadata: ["every": "\(every)"])
        let clock = ContinuousClock()
        while !processStop.isRequested {
            let started = clock.now
            do {
                let report = try await runOnce(runner, file: file)
                RunMetrics.record(report, into: registry)
            } catch let error as ValidationError {
                await telemetry?.shutdown()
                throw error
            } catch {
                registry.setHealth(false, reason: "last run failed: \(Summary.describe(error))")
                logger.error("sync run failed; the next run will try again", metadata: ["error": "\(Summary.describe(error))"])
            }
            // Sleep in short steps so a signal is answered at once, not at the next tick.
            while !processStop.isRequested, clock.now < started + every {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        await telemetry?.shutdown()
        logger.info("scheduled sync stopped")
    }

    private func runOnce(_ runner: SyncRunner, file: MappingFile) async throws -> SyncReport {
        do {
            return try await runner.run(mapping: file, streams: streams)
        } catch let error as SyncError {
            throw ValidationError(error.message)
        } catch {
            if every == nil {
                printError("asapp-sync: error: \(Summary.describe(error))")
                throw ExitCodes.runFailed
            }
            throw error
        }
    }
}
