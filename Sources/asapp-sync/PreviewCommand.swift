import ArgumentParser
import Loader
import Mapping
import SyncCore
import SyncEngine

/// `asapp-sync preview`: what a stream would send next, without sending anything.
struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Print the payloads a stream would send for its next rows, each with its verdict; sends nothing, writes nothing.",
        discussion: """
            Reads up to --limit rows after the stream's checkpoint (or from the start with --from-start), \
            maps them, checks them against the API contract and prints each item exactly as it would be \
            sent. Rows the mapping rejects or skips are shown with the reason. No credentials are read, no \
            request is made, no checkpoint or state table is written (or created).

            --format pretty (default): a header line per row, then its item as indented JSON.
            --format jsonl: each item that would be sent on one line of standard output, in order; the \
            verdicts of rows that would not be sent go to standard error.
            """
    )

    @Option(name: .customLong("mapping"), help: "The mapping file.")
    var mapping: String

    @Option(name: .customLong("stream"), help: "The stream to preview.")
    var stream: String

    @Flag(name: .customLong("messages"), help: "For a transcripts stream: preview its messages instead of its conversations.")
    var messages = false

    @Option(help: "How many rows.")
    var limit: Int = 10

    @Flag(name: .customLong("from-start"), help: "Start at the first row, not after the stream's checkpoint.")
    var fromStart = false

    @Option(help: "pretty or jsonl.")
    var format: String = "pretty"

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        guard ["pretty", "jsonl"].contains(format) else { throw ValidationError("--format must be pretty or jsonl") }
    }

    func run() async throws {
        let env = Environment()
        let file = try MappingLoading.load(mapping)
        // Preview talks to no API: empty credentials keep the configuration complete without reading secrets.
        var configuration = SyncConfiguration(source: database.source(env), loader: LoaderConfiguration(credentials: APICredentials(id: "", secret: "")))
        configuration.state = database.state(env)
        configuration.stateSchema = database.stateSchema
        let rows: [Preview.Row]
        do {
            rows = try await Preview.run(mapping: file, stream: stream, part: messages ? .messages : .main, limit: limit,
                                         fromStart: fromStart, configuration: configuration)
        } catch let error as SyncError {
            throw ValidationError(error.message)
        } catch {
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
        for (i, row) in rows.enumerated() {
            let where_ = "row \(i + 1): key \(row.key)" + (row.watermark.map { ", watermark \($0)" } ?? "")
            switch (row.verdict, format) {
            case (.item(let item), "jsonl"):
                print(item.text)
            case (.item(let item), _):
                print("# \(where_): ok")
                print(item.value?.prettyPrinted() ?? item.text)
            case (.rejected(let r), "jsonl"):
                printError("# \(where_): rejected: \(r)")
            case (.rejected(let r), _):
                print("# \(where_): rejected: \(r)")
            case (.skipped(let r), "jsonl"):
                printError("# \(where_): skipped: \(r)")
            case (.skipped(let r), _):
                print("# \(where_): skipped: \(r)")
            }
        }
        if rows.isEmpty { printError("# no rows after the checkpoint") }
    }
}
