import ArgumentParser
import Checkpoints
import Foundation
import Loader
import Mapping
import Postgres
import SyncCore
import SyncEngine

/// `asapp-sync rejects`: the dead-letter table — rows that could not be delivered, and what to do with them.
struct RejectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejects",
        abstract: "List, retry or discard the rows that could not be delivered.",
        discussion: """
            A sync never drops a row silently: a row the mapping or the API refused is recorded in the rejects \
            table (schema --state-schema) with the stage (mapping: refused before sending; api: refused by the \
            API), the field at fault, the HTTP status and the reason. A reject is open until a retry delivers it \
            (resolved) or someone gives up on it (discarded).

            A reject's stream is the checkpoint it belongs to: the stream's name for metadata streams, \
            NAME:conversations and NAME:messages for a transcripts stream. --stream NAME selects all of them.
            """,
        subcommands: [List.self, Retry.self, Discard.self]
    )

    /// Opens the state store the database options point at, runs `body`, and closes the connection.
    static func withStore<T>(_ database: DatabaseOptions, _ body: (CheckpointStore) async throws -> T) async throws -> T {
        let env = Environment()
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(database.state(env) ?? database.source(env))
        } catch {
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
        do {
            let store = try await CheckpointStore.open(connection: connection, schemaName: database.stateSchema)
            let result = try await body(store)
            await connection.close()
            return result
        } catch let exit as ExitCode {
            await connection.close()
            throw exit
        } catch {
            await connection.close()
            printError("asapp-sync: error: \(Summary.describe(error))")
            throw ExitCodes.runFailed
        }
    }

    static func parseIDs(_ ids: [Int64]) throws {
        if let bad = ids.first(where: { $0 < 1 }) { throw ValidationError("--id \(bad) is not a reject id (ids start at 1)") }
    }

    // MARK: list

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show rejects: id, status, stream, source key, stage, field, HTTP status, attempts, created, error.",
            discussion: """
                Payloads (the items as mapped) are not shown unless --show-payload is given; even then, members \
                whose names suggest credentials (secret, password, token, api key, credential) are replaced by \
                "<redacted>", and so is any value containing the ASAPP_API_ID or ASAPP_API_SECRET of the environment.
                Exit codes: 0 listed (possibly nothing), 1 the state database could not be read, 64 bad options.
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(name: .customLong("stream"), help: "Only this stream's rejects (repeatable).")
        var streams: [String] = []

        @Option(help: "Only rejects in this state: open, resolved or discarded. Default: every state.")
        var status: String?

        @Option(help: "At most this many, lowest ids first.")
        var limit: Int = 100

        @Flag(help: "One JSON array instead of a table.")
        var json = false

        @Flag(name: .customLong("show-payload"), help: "Include each reject's payload (the item as mapped), with credentials redacted.")
        var showPayload = false

        func validate() throws {
            if let status, CheckpointStore.RejectStatus(rawValue: status) == nil {
                throw ValidationError("--status must be open, resolved or discarded")
            }
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            var filter = CheckpointStore.RejectFilter()
            filter.streams = streams
            filter.status = status.flatMap(CheckpointStore.RejectStatus.init(rawValue:))
            filter.limit = limit
            let showPayload = showPayload
            let rejects = try await RejectsCommand.withStore(database) { try await $0.rejects(filter, includePayload: showPayload) }
            let redaction = RejectsCommand.PayloadRedaction(environment: Environment())
            if json {
                let list = rejects.map { RejectsCommand.json($0, payload: showPayload ? redaction.redact($0.record.payload ?? .null) : nil) }
                print(JSONValue.array(list).jsonString)
                return
            }
            if rejects.isEmpty {
                print("no rejects")
                return
            }
            let header = ["id", "status", "stream", "key", "stage", "field", "http", "attempts", "created", "error"]
            let rows = rejects.map { r in
                [String(r.id), r.status.rawValue, r.record.stream, r.record.sourceKey, r.record.stage.rawValue, r.record.field ?? "-",
                 r.record.httpStatus.map(String.init) ?? "-", String(r.record.attempts), r.createdAt, r.record.error]
            }
            let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ")
            }
            print(line(header))
            for (r, row) in zip(rejects, rows) {
                print(line(row))
                if showPayload, let payload = r.record.payload { print("    payload: \(redaction.redact(payload).jsonString)") }
            }
            if rejects.count == limit { print("(first \(limit); raise --limit for more)") }
        }
    }

    static func json(_ r: CheckpointStore.StoredReject, payload: JSONValue?) -> JSONValue {
        var object = JSONObject([
            ("id", .int(r.id)),
            ("status", .string(r.status.rawValue)),
            ("stream", .string(r.record.stream)),
            ("sourceKey", .string(r.record.sourceKey)),
            ("watermark", r.record.watermark.map { .string($0) } ?? .null),
            ("eventId", r.record.eventID.map { .string($0) } ?? .null),
            ("stage", .string(r.record.stage.rawValue)),
            ("field", r.record.field.map { .string($0) } ?? .null),
            ("httpStatus", r.record.httpStatus.map { .int(Int64($0)) } ?? .null),
            ("error", .string(r.record.error)),
            ("attempts", .int(Int64(r.record.attempts))),
            ("createdAt", .string(r.createdAt)),
        ])
        if let payload { object.appendUnchecked("payload", payload) }
        return .object(object)
    }

    // MARK: retry

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Map the rejected rows again with the current mapping and send those that now pass.",
            discussion: """
                Each open reject's source row is read again by its key (SELECT * FROM <source> WHERE key = ...), \
                mapped with the mapping file given now and checked against the API contract; the rows that pass \
                are sent and their rejects marked resolved. A row that fails again stays open, with its attempts \
                counted up and its error replaced by the new reason; a row whose source row is gone stays open \
                too (discard it when that is expected). A row the mapping now skips (if_empty: skip) is resolved \
                without sending. Metadata streams and both parts of transcripts streams are retried; \
                conversations before their messages. The stream's lock is held meanwhile, as a sync holds it.

                Credentials: ASAPP_API_ID and ASAPP_API_SECRET (or ASAPP_API_ID_FILE / ASAPP_API_SECRET_FILE).
                Exit codes: 0 every reject considered was resolved (or none was open), 1 the retry failed \
                (API unreachable, credentials refused, database error, a stream busy), 3 some rejects still \
                fail, 64 bad options, 65 invalid mapping.
                """
        )

        @Option(name: .customLong("mapping"), help: "The mapping file in force now.")
        var mapping: String

        @Option(name: .customLong("stream"), help: "Only this stream's rejects (repeatable). Default: every stream of the mapping.")
        var streams: [String] = []

        @Option(name: .customLong("id"), parsing: .upToNextOption, help: "Only these reject ids.")
        var ids: [Int64] = []

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var api: APIOptions
        @OptionGroup var logging: LoggingOptions

        func validate() throws { try RejectsCommand.parseIDs(ids) }

        func run() async throws {
            let logger = try logging.bootstrap()
            let env = Environment()
            let file = try MappingLoading.load(mapping)
            for name in streams where file.stream(named: name) == nil {
                throw ValidationError("stream '\(name)' is not in \(mapping); streams: \(file.streams.map(\.name).joined(separator: ", "))")
            }
            var configuration = SyncConfiguration(source: database.source(env), loader: try api.loader(env))
            configuration.state = database.state(env)
            configuration.stateSchema = database.stateSchema
            var filter = CheckpointStore.RejectFilter()
            filter.streams = streams.isEmpty ? file.streams.map(\.name) : streams
            filter.ids = ids
            let report: RejectRetry.Report
            do {
                report = try await RejectRetry(configuration: configuration, logger: logger).run(mapping: file, filter: filter)
            } catch let error as SyncError {
                throw ValidationError(error.message)
            } catch {
                printError("asapp-sync: error: \(Summary.describe(error))")
                throw ExitCodes.runFailed
            }
            print("rejects retry (run \(report.runID))")
            if report.parts.isEmpty { print("no open rejects to retry") }
            for p in report.parts {
                print("\(p.name): \(p.considered) considered, \(p.resolved) delivered, \(p.skipped) skipped by the mapping, "
                      + "\(p.failedAgain) still failing, \(p.missing) source row gone" + (p.error.map { "; stopped: \($0)" } ?? ""))
            }
            switch report.status {
            case .succeeded: return
            case .completedWithRejects: throw ExitCodes.completedWithRejects
            default: throw ExitCodes.runFailed
            }
        }
    }

    // MARK: discard

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on open rejects: mark them discarded so no retry picks them up.",
            discussion: """
                Select rejects with --id (one or more ids), or with --all (every open reject, or every open reject \
                of the --stream streams). Resolved and discarded rejects are left as they are; nothing is deleted.
                Exit codes: 0 done (the number discarded is printed), 1 the state database could not be written, \
                64 bad options.
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(name: .customLong("stream"), help: "Only this stream's rejects (repeatable).")
        var streams: [String] = []

        @Option(name: .customLong("id"), parsing: .upToNextOption, help: "The reject ids to discard.")
        var ids: [Int64] = []

        @Flag(help: "Every open reject (of the --stream streams, when given).")
        var all = false

        func validate() throws {
            try RejectsCommand.parseIDs(ids)
            guard all || !ids.isEmpty else { throw ValidationError("name the rejects to discard with --id, or pass --all") }
            guard !(all && !ids.isEmpty) else { throw ValidationError("--all and --id cannot be combined") }
        }

        func run() async throws {
            var filter = CheckpointStore.RejectFilter()
            filter.streams = streams
            filter.ids = ids
            let count = try await RejectsCommand.withStore(database) { try await $0.discardRejects(filter) }
            print("\(count) reject\(count == 1 ? "" : "s") discarded")
        }
    }
}

extension RejectsCommand {
/// Hides credentials in payloads shown to a person: members named like secrets, and the API id and
/// secret of the environment wherever they appear in a string.
struct PayloadRedaction {
    static let marker = "<redacted>"
    static let secretWords = ["secret", "password", "passwd", "token", "apikey", "api_key", "api-key", "credential", "authorization"]
    let knownSecrets: [String]

    init(environment: Environment) {
        knownSecrets = ["ASAPP_API_SECRET", "ASAPP_API_ID"].compactMap { try? environment.secret($0) }.filter { $0.count >= 4 }
    }

    static func isSecretName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return secretWords.contains { lower.contains($0) }
    }

    func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s):
            return knownSecrets.contains(where: { s.contains($0) }) ? .string(Self.marker) : value
        case .array(let elements):
            return .array(elements.map(redact))
        case .object(let object):
            var out = JSONObject()
            // `attributes` entries are {name, value} pairs: the name says whether the value is a secret.
            let pairName = object["name"]?.stringValue
            for (key, member) in object {
                if Self.isSecretName(key) || (key == "value" && pairName.map(Self.isSecretName) == true) {
                    out.appendUnchecked(key, .string(Self.marker))
                } else {
                    out.appendUnchecked(key, redact(member))
                }
            }
            return .object(out)
        default:
            return value
        }
    }
}
}
