/// A position in a mapping file, as a compiler reports it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// Line number, starting at 1.
    public var line: Int
    /// Column number, starting at 1.
    public var column: Int

    /// A location in `file` at `line`:`column`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One finding about a mapping file: an error stops the file from being used, a warning does not.
public struct MappingDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a finding is.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
        case note
    }

    /// A stable identifier of the check that fired, for scripts and tests (e.g. `unknown-field`).
    public var code: String
    public var severity: Severity
    public var location: SourceLocation
    /// What is wrong, said as a compiler would: the field and what was expected.
    public var message: String
    /// Follow-up lines such as a "did you mean" suggestion.
    public var notes: [String]

    /// A finding of `code` at `location`.
    public init(_ severity: Severity, code: String, at location: SourceLocation, _ message: String, notes: [String] = []) {
        self.severity = severity
        self.code = code
        self.location = location
        self.message = message
        self.notes = notes
    }

    /// `file:line:col: error: message`, then one indented line per note.
    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message) [\(code)]"
        for note in notes { text += "\n\(location): note: \(note)" }
        return text
    }
}

/// A mapping file that cannot be used, with every error (and warning) found in it.
public struct MappingError: Error, Sendable, CustomStringConvertible {
    /// All findings, errors first in file order.
    public var diagnostics: [MappingDiagnostic]

    /// An error carrying `diagnostics`; at least one of them should be an error.
    public init(diagnostics: [MappingDiagnostic]) { self.diagnostics = diagnostics }

    /// The errors only.
    public var errors: [MappingDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String {
        let count = errors.count
        return diagnostics.map(\.description).joined(separator: "\n")
            + "\n\(count) error\(count == 1 ? "" : "s") in mapping file"
    }
}
