import ArgumentParser
import Mapping

/// `asapp-sync validate`: checks mapping files without touching a database or the API.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check mapping files against the API contract and print compiler-style diagnostics.",
        discussion: """
            Every error is reported as FILE:LINE:COLUMN: error: MESSAGE [check], with a 'did you mean'
            note for near-miss names. Exits 0 when every file is valid, 65 when any has an error.
            Nothing is read from a database and nothing is sent.
            """
    )

    @Argument(help: "Mapping files to check.")
    var files: [String]

    func run() async throws {
        var failed = false
        for path in files {
            do {
                let file = try MappingLoading.load(path)
                let streams = file.streams.map { "\($0.name) → \($0.target.fileName)" }.joined(separator: ", ")
                print("\(path): ok: \(file.streams.count) stream\(file.streams.count == 1 ? "" : "s") (\(streams))")
            } catch let code as ExitCode where code == ExitCodes.mappingInvalid {
                failed = true
            }
        }
        if failed { throw ExitCodes.mappingInvalid }
    }
}
