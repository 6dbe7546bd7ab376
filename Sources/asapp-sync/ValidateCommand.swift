import ArgumentParser
import Mapping
import Postgres
import SyncEngine

/// `asapp-sync validate`: checks mapping files before anything runs.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check mapping files against the API contract (and the source database), with compiler-style diagnostics.",
        discussion: """
            Every problem is reported as FILE:LINE:COLUMN: error: MESSAGE [check], with a 'did you mean' \
            note for near-miss names. With --database-url (or ASAPP_SYNC_DATABASE_URL), each stream's source \
            is also prepared and described, never executed, and every column the mapping names must exist \
            with a type that fits its field. Nothing is sent and nothing is written.
            Exits 0 when every file is valid, 65 when any has an error, 1 when the database is unreachable.
            """
    )

    @Argument(help: "Mapping files to check.")
    var files: [String]

    @Option(name: .customLong("database-url"), help: "Also check the streams' queries and columns against this database.")
    var databaseURL: String?

    func run() async throws {
        let url = databaseURL ?? Environment()["ASAPP_SYNC_DATABASE_URL"]
        var connection: PostgresConnection?
        if let url {
            do {
                connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
            } catch {
                printError("asapp-sync: error: \(Summary.describe(error))")
                throw ExitCodes.runFailed
            }
        }
        var failed = false
        for path in files {
            do {
                let file = try MappingLoading.load(path)
                if let connection {
                    let found = await MappingDatabaseCheck.check(file, connection: connection)
                    for diagnostic in found { printError(diagnostic.description) }
                    if found.contains(where: { $0.severity == .error }) {
                        failed = true
                        continue
                    }
                }
                let streams = file.streams.map { "\($0.name) → \($0.target.fileName)" }.joined(separator: ", ")
                let checked = connection == nil ? "" : ", columns checked against the database"
                print("\(path): ok: \(file.streams.count) stream\(file.streams.count == 1 ? "" : "s") (\(streams))\(checked)")
            } catch let code as ExitCode where code == ExitCodes.mappingInvalid {
                failed = true
            }
        }
        await connection?.close()
        if failed { throw ExitCodes.mappingInvalid }
    }
}
