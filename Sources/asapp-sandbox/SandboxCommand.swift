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
        GET /sandbox/v1/conversations, POST /sandbox/v1/reset, GET and POST /sandbox/v1/faults.

        Faults: the --fault-* options make a share of vendor requests fail (429 with Retry-After, 503, 500, or \
        a connection closed without an answer), decided by a generator seeded with --fault-seed; \
        --fault-max-concurrent N answers 429 to every request beyond N being answered at once, as an API at \
        its capacity does. They can be changed while running: POST /sandbox/v1/faults with a JSON object such as \
        {"tooManyRequestsRate":0.1,"latencyMs":20,"maxBodyBytes":4096}; members left out keep their value.

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

    @Option(name: .customLong("fault-429-rate"), help: ArgumentHelp("Share (0-1) of requests answered 429 with Retry-After.", valueName: "RATE"))
    var fault429Rate: Double = 0

    @Option(name: .customLong("retry-after"), help: ArgumentHelp("The Retry-After of injected 429s.", valueName: "SECONDS"))
    var retryAfter: Int = 1

    @Option(name: .customLong("fault-503-rate"), help: ArgumentHelp("Share (0-1) of requests answered 503.", valueName: "RATE"))
    var fault503Rate: Double = 0

    @Option(name: .customLong("fault-500-rate"), help: ArgumentHelp("Share (0-1) of requests answered 500.", valueName: "RATE"))
    var fault500Rate: Double = 0

    @Option(name: .customLong("fault-drop-rate"), help: ArgumentHelp("Share (0-1) of requests whose connection is closed unanswered.", valueName: "RATE"))
    var faultDropRate: Double = 0

    @Option(name: .customLong("fault-latency-ms"), help: ArgumentHelp("Delay added before every answer.", valueName: "MS"))
    var faultLatencyMs: Int = 0

    @Option(name: .customLong("fault-max-concurrent"),
            help: ArgumentHelp("Answer 429 with Retry-After to requests beyond N being answered at once (--fault-latency-ms included).", valueName: "N"))
    var faultMaxConcurrent: Int?

    @Option(name: .customLong("fault-seed"), help: "Seed of the fault decisions (the same seed and requests meet the same faults).")
    var faultSeed: UInt64 = 1

    @Flag(help: "Keep counters only, not accepted bodies (for benchmarks: memory stays flat).")
    var countsOnly = false

    @Flag(help: "Log one line per request (route, status, request id) at debug level.")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        for (name, rate) in [("--fault-429-rate", fault429Rate), ("--fault-503-rate", fault503Rate),
                             ("--fault-500-rate", fault500Rate), ("--fault-drop-rate", faultDropRate)] where !(0...1).contains(rate) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard fault429Rate + fault503Rate + fault500Rate + faultDropRate <= 1 else {
            throw ValidationError("the --fault-*-rate options add up to more than 1")
        }
        guard retryAfter >= 0 else { throw ValidationError("--retry-after must be 0 or more") }
        guard faultLatencyMs >= 0 else { throw ValidationError("--fault-latency-ms must be 0 or more") }
        if let faultMaxConcurrent, faultMaxConcurrent < 1 { throw ValidationError("--fault-max-concurrent must be 1 or more") }
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
        configuration.faults.tooManyRequestsRate = fault429Rate
        configuration.faults.retryAfterSeconds = retryAfter
        configuration.faults.serviceUnavailableRate = fault503Rate
        configuration.faults.internalErrorRate = fault500Rate
        configuration.faults.dropConnectionRate = faultDropRate
        configuration.faults.latency = .milliseconds(faultLatencyMs)
        configuration.faults.maxConcurrentRequests = faultMaxConcurrent
        configuration.faults.seed = faultSeed
        if Self.environment("ASAPP_SANDBOX_API_SECRET") == nil {
            logger.warning("sandbox using demo credentials", metadata: ["reason": "ASAPP_SANDBOX_API_SECRET is not set"])
        }

        // Handlers go in before the socket opens, so an early SIGTERM is not lost.
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

/// The write end of the pipe the signal handler reports to; set once, before the handler is installed.
nonisolated(unsafe) private var terminationPipeWriteEnd: Int32 = -1

/// Runs in signal context: only async-signal-safe calls, so it just writes the signal number to the pipe.
private func reportTerminationSignal(_ number: Int32) {
    var value = number
    _ = withUnsafeBytes(of: &value) { write(terminationPipeWriteEnd, $0.baseAddress, $0.count) }
}

/// SIGINT and SIGTERM turned into one awaited event.
///
/// A plain handler writing to a pipe (the self-pipe pattern) works whichever thread the kernel picks to
/// take the signal; a dispatch signal source on Linux can lose the first signal when it lands on a
/// thread other than the one listening, which with an event loop group's threads is likely.
final class TerminationSignals: @unchecked Sendable {
    // Mutable state is touched only on `queue`, which is serial.
    private let queue = DispatchQueue(label: "asapp-sandbox.signals")
    private let source: DispatchSourceRead
    private var received: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?

    init() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("cannot create the signal pipe (errno \(errno))") }
        let readEnd = ends[0]
        terminationPipeWriteEnd = ends[1]
        source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: queue)
        source.setEventHandler { [weak self] in
            var number: Int32 = 0
            let count = withUnsafeMutableBytes(of: &number) { read(readEnd, $0.baseAddress, $0.count) }
            if count == MemoryLayout<Int32>.size { self?.deliver(number) }
        }
        source.resume()
        signal(SIGINT, reportTerminationSignal)
        signal(SIGTERM, reportTerminationSignal)
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
