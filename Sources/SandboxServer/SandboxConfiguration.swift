/// How a sandbox listens, whom it lets in and what it keeps.
public struct SandboxConfiguration: Sendable {
    /// The address to bind; default `127.0.0.1` (loopback only).
    public var host: String = "127.0.0.1"
    /// The TCP port; default `0`, which picks a free port (read it back from `Sandbox.port`).
    public var port: Int = 0
    /// The value the `asapp-api-id` header must have.
    public var apiID: String
    /// The value the `asapp-api-secret` header must have. Never logged or echoed.
    public var apiSecret: String
    /// The largest request body accepted, in bytes; larger ones get `413`. Default 16 MiB (16 777 216).
    public var maxBodyBytes: Int = 16 * 1024 * 1024
    /// A file to which every accepted item, conversation and message is appended as one JSON line;
    /// default `nil` (no file).
    public var recordPath: String? = nil
    /// Whether the recorder keeps accepted bodies in memory; default `true`. `false` keeps only counters
    /// and the conversation id table, for benchmarks whose memory must not grow with the data sent.
    public var recordBodies: Bool = true
    /// Failures to inject into vendor API requests; default none.
    public var faults: SandboxFaults = SandboxFaults()

    /// A configuration accepting the given credentials, with every other setting at its default.
    public init(apiID: String, apiSecret: String) {
        self.apiID = apiID
        self.apiSecret = apiSecret
    }
}
