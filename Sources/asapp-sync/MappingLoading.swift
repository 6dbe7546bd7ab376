import ArgumentParser
import Foundation
import Mapping

/// Reads and checks a mapping file, printing diagnostics as a compiler would.
enum MappingLoading {
    /// The checked file; on errors, prints every diagnostic to standard error and exits with 65.
    static func load(_ path: String) throws -> MappingFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("\(path): error: cannot read the mapping file")
            throw ExitCodes.mappingInvalid
        }
        guard let text = String(data: data, encoding: .utf8) else {
            printError("\(path): error: the mapping file is not UTF-8 text")
            throw ExitCodes.mappingInvalid
        }
        do {
            let file = try MappingParser.parse(text, path: path, environment: ProcessInfo.processInfo.environment)
            for warning in file.warnings { printError(warning.description) }
            return file
        } catch {
            printError(error.description)
            throw ExitCodes.mappingInvalid
        }
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
