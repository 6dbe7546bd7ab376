import ArgumentParser

/// The documented exit codes (see `asapp-sync --help`).
enum ExitCodes {
    static let runFailed = ExitCode(1)
    static let completedWithRejects = ExitCode(3)
    static let mappingInvalid = ExitCode(65)
    static let streamBusy = ExitCode(75)
}
