import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP server for `/metrics` (Prometheus text) and `/healthz`, for scheduled mode.
public final class TelemetryServer: Sendable {
    private let channel: any Channel
    /// The port it listens on.
    public let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Starts listening on `host`:`port` (0 picks a free port).
    public static func start(host: String, port: Int, registry: MetricsRegistry) async throws -> TelemetryServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(TelemetryHandler(registry: registry))
                }
            }
            .bind(host: host, port: port).get()
        return TelemetryServer(channel: channel, port: channel.localAddress?.port ?? port)
    }

    /// Stops listening.
    public func shutdown() async {
        try? await channel.close().get()
    }
}

/// Answers one request at a time per connection: head and body in one write.
final class TelemetryHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: MetricsRegistry
    private var path = ""
    private var keepAlive = true

    init(registry: MetricsRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let (status, contentType, body): (HTTPResponseStatus, String, String)
            switch path {
            case "/metrics":
                (status, contentType, body) = (.ok, "text/plain; version=0.0.4", registry.render())
            case "/healthz":
                let health = registry.health
                (status, contentType, body) = (health.healthy ? .ok : .serviceUnavailable, "text/plain", health.reason + "\n")
            default:
                (status, contentType, body) = (.notFound, "text/plain", "not found\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: contentType)
            headers.add(name: "content-length", value: "\(body.utf8.count)")
            if !keepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in ctx.value.close(promise: nil) }
            }
        }
    }
}
