import APIContract
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A running local stand-in for the vendor's API: every endpoint of the contract with the vendor's
/// validation, plus `/sandbox/v1/…` inspection routes (see `SandboxAPI.inspect`).
///
/// ```swift
/// let sandbox = try await Sandbox.start(SandboxConfiguration(apiID: "id", apiSecret: "secret"))
/// defer { Task { try await sandbox.shutdown() } }
/// // point a client at sandbox.baseURL, then look at sandbox.recorder
/// ```
/// Always call `shutdown()`; it closes the listener and every open connection.
public final class Sandbox: Sendable {
    /// The TCP port the sandbox listens on.
    public let port: Int
    /// The host it was bound to.
    public let host: String
    /// What it accepted, and how many requests it answered with which status.
    public let recorder: SandboxRecorder
    private let api: SandboxAPI
    private let serverChannel: Channel
    private let connections: Locked<(open: [ObjectIdentifier: Channel], accepted: Int)>
    private let logger: Logger

    /// `http://HOST:PORT`, without a trailing slash.
    public var baseURL: String {
        let printableHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(printableHost):\(port)"
    }

    /// How many TCP connections have been accepted since start (keep-alive keeps this low).
    public var acceptedConnectionCount: Int {
        connections.withLock { $0.accepted }
    }

    /// The faults currently injected; settable while running, e.g. to make a test's next requests fail.
    public var faults: SandboxFaults {
        get { api.faults }
        set { api.faults = newValue }
    }

    private init(port: Int, host: String, recorder: SandboxRecorder, api: SandboxAPI, serverChannel: Channel,
                 connections: Locked<(open: [ObjectIdentifier: Channel], accepted: Int)>, logger: Logger) {
        self.port = port
        self.host = host
        self.recorder = recorder
        self.api = api
        self.serverChannel = serverChannel
        self.connections = connections
        self.logger = logger
    }

    /// A logger that discards everything: the default, so tests stay quiet.
    public static let silentLogger = Logger(label: "asapp-sandbox", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Binds and starts serving; returns once the socket is listening.
    ///
    /// `logger` receives fixed messages with metadata (address at start and stop, one debug line per
    /// request with route, status and request id); never credentials or bodies.
    public static func start(_ configuration: SandboxConfiguration, logger: Logger = Sandbox.silentLogger) async throws -> Sandbox {
        let recorder = try SandboxRecorder(recordBodies: configuration.recordBodies, recordPath: configuration.recordPath)
        let api = SandboxAPI(configuration: configuration, recorder: recorder, logger: logger)
        let connections = Locked<(open: [ObjectIdentifier: Channel], accepted: Int)>(([:], 0))
        let maxBodyBytes = configuration.maxBodyBytes
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel)
                connections.withLock {
                    $0.open[key] = channel
                    $0.accepted += 1
                }
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLock { $0.open.removeValue(forKey: key) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    // Every response header is the sandbox's own (fixed names, numbers, UUIDs), so NIO's
                    // check of each one on every answer (about 6% of the sandbox's time) is left off.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true,
                                                                                    withOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(SandboxHTTPHandler(api: api, maxBodyBytes: maxBodyBytes))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw SandboxError(code: .bindFailed, message: "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("sandbox listening", metadata: ["host": "\(configuration.host)", "port": "\(port)",
                                                     "record-bodies": "\(configuration.recordBodies)"])
        return Sandbox(port: port, host: configuration.host, recorder: recorder, api: api, serverChannel: channel,
                       connections: connections, logger: logger)
    }

    /// Stops listening and closes every open connection; safe to call more than once.
    public func shutdown() async throws {
        do {
            try await serverChannel.close()
        } catch ChannelError.alreadyClosed {
            return
        }
        let open = connections.withLock { Array($0.open.values) }
        for connection in open {
            try? await connection.close()
        }
        logger.info("sandbox stopped", metadata: ["port": "\(port)"])
    }
}
