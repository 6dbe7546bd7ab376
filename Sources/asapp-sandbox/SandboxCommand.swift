import ArgumentParser
import Dispatch
import Logging
import SandboxServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `asapp-sandbox`: runs the local stand-in for the vendor's API until SIGINT or SIGTERM.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asapp-sandbox",
        abstract: "Serve a local stand-in for the ASAPP Metadata Ingestion and Conversations APIs.",
        discussion: """
        Credentials are read from the environment: ASAPP_SANDBOX_API_ID and ASAPP_SANDBOX_API_SECRET. \
        When unset they default to demo-id / demo-secret, which is meant for local demos only.

        Every vendor endpoint requires the asapp-api-id and asapp-api-secret headers, except GET /v1/health. \
        Inspection routes need no credentials: GET /sandbox/v1/stats, GET /sandbox/v1/accepted/{agent|convo|customer}, \
        GET /sandbox/v1/conversations, POST /sandbox/v1/reset.

        On start one line is printed to standard output: "asapp-sandbox listening on http://HOST:PORT". \
        Logs go to standard error.

        Exit codes: 0 after SIGINT or SIGTERM; 1 when the sandbox cannot start (port in use, record file \
        not writable); 64 for invalid options.
        """
    )

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port to listen on; 0 picks a free port.")
    var port: Int = 8080

    @Option(name: .customLong("record"), help: ArgumentHelp("Append every accepted item, conversation and message to FILE as JSON lines.", valueName: "FILE"))
    var recordPath: String?

    @Option(help: "Largest request body accepted, in bytes (larger ones get 413).")
    var maxBodyBytes: Int = 16 * 1024 * 1024

    @Flag(help: "Keep counters only, not accepted bodies (for benchmarks: memory stays flat).")
    var countsOnly = false

    @Flag(help: "Log one line per request (route, status, request id) at debug level.")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
    }

    func run() async throws {
        let verbose = verbose
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
        let logger = Logger(label: "asapp-sandbox")

        var configuration = SandboxConfiguration(
            apiID: Self.environment("ASAPP_SANDBOX_API_ID") ?? "demo-id",
            apiSecret: Self.environment("ASAPP_SANDBOX_API_SECRET") ?? "demo-secret"
        )
        configuration.host = host
        configuration.port = port
        configuration.recordPath = recordPath
        configuration.maxBodyBytes = maxBodyBytes
        configuration.recordBodies = !countsOnly
        if Self.environment("ASAPP_SANDBOX_API_SECRET") == nil {
            logger.warning("sandbox using demo credentials", metadata: ["reason": "ASAPP_SANDBOX_API_SECRET is not set"])
        }

        // Signals are routed to a dispatch source before the socket opens, so an early SIGTERM is not lost.
        let terminations = TerminationSignals()
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.start(configuration, logger: logger)
        } catch {
            logger.error("sandbox failed to start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        print("asapp-sandbox listening on \(sandbox.baseURL)")
        // A pipe makes stdout fully buffered; whoever waits for this line must see it now.
        fflush(nil)

        let signal = await terminations.wait()
        logger.info("sandbox stopping", metadata: ["signal": "\(signal)"])
        try await sandbox.shutdown()
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let string = String(cString: value)
        return string.isEmpty ? nil : string
    }
}

/// SIGINT and SIGTERM turned into one awaited event.
final class TerminationSignals: @unchecked Sendable {
    // Mutable state is touched only on `queue`, which is serial.
    private let queue = DispatchQueue(label: "asapp-sandbox.signals")
    private var sources: [DispatchSourceSignal] = []
    private var received: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Waits for the first SIGINT or SIGTERM and returns its number.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            queue.async {
                if let received = self.received {
                    continuation.resume(returning: received)
                } else {
                    self.waiter = continuation
                }
            }
        }
    }

    private func deliver(_ number: Int32) {
        guard received == nil else { return }
        received = number
        waiter?.resume(returning: number)
        waiter = nil
    }
}
