import ArgumentParser
import Foundation
import Mapping
import SyncEngine

/// `asapp-sync sync`: one incremental run, then exit.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Run one incremental sync of all (or the named) streams, print a summary, and exit.",
        discussion: """
            Each stream reads the rows after its checkpoint up to the highest watermark present when the
            stream starts, in pages ordered by (watermark, key). Items are checked against the API contract
            before sending; rows that cannot be sent are recorded in the rejects table with the reason. A
            stream's checkpoint moves only after the API acknowledged every row up to it, so a run that dies
            resumes where it stopped.

            Credentials: ASAPP_API_ID and ASAPP_API_SECRET (or ASAPP_API_ID_FILE / ASAPP_API_SECRET_FILE).
            Exit codes: 0 all delivered, 1 failed, 3 completed with rejects, 65 invalid mapping, 75 a stream was busy.
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
    var pageSize: Int = 5000

    @Option(name: .customLong("batch-size"), help: "Items per request for streams that set no batch_size (1-1000).")
    var batchSize: Int = 1000

    @Option(name: .customLong("concurrency"), help: "Requests of one stream in flight at once.")
    var concurrency: Int = 4

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000 (the API's limit)") }
        guard pageSize >= 1 else { throw ValidationError("--page-size must be at least 1") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
    }

    func run() async throws {
        let logger = try logging.bootstrap()
        let env = Environment()
        let file = try MappingLoading.load(mapping)
        var configuration = SyncConfiguration(source: database.source(env), loader: try api.loader(env))
        configuration.state = database.state(env)
        configuration.stateSchema = database.stateSchema
        configuration.pageSize = pageSize
        configuration.defaultBatchSize = batchSize
        configuration.maxInFlightBatches = concurrency
        let report: SyncReport
        do {
            report = try await SyncRunner(configuration: configuration, logger: logger).run(mapping: file, streams: streams)
        } catch let error as SyncError {
            throw ValidationError(error.message)
        } catch {
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
        print(Summary.render(report))
        if report.streams.contains(where: { $0.status == .busy }) { throw ExitCodes.streamBusy }
        switch report.status {
        case .succeeded: return
        case .completedWithRejects: throw ExitCodes.completedWithRejects
        default: throw ExitCodes.runFailed
        }
    }
}
