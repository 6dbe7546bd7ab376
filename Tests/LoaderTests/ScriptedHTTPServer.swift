import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A real HTTP/1.1 server on loopback whose answers a test writes: what the sandbox never does on
/// purpose (close after an answer, send a chunked or an oversized body, break off mid-answer, speak TLS).
/// It counts the connections it accepts and keeps each request's head.
final class ScriptedHTTPServer: Sendable {
    /// What the server does with one request.
    enum Behaviour: Sendable {
        /// A complete answer; `close` adds `Connection: close` and closes after writing it.
        case answer(status: Int, body: String, close: Bool = false, chunked: Bool = false)
        /// A complete keep-alive answer, after which the server closes the connection anyway, as servers
        /// do with idle connections.
        case answerThenHangUp(status: Int, body: String)
        /// The answer's head and part of its body, then the connection closes.
        case breakOff(declaredBytes: Int, sentBody: String)
    }

    struct Seen: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: String
    }

    /// What the server has seen, shared with its connections' handlers.
    final class Log: Sendable {
        let state = Mutex<(connections: Int, requests: [Seen])>((0, []))
    }

    let port: Int
    private let channel: any Channel
    private let log: Log

    var connections: Int { log.state.withLock { $0.connections } }
    var requests: [Seen] { log.state.withLock { $0.requests } }

    /// - Parameter tls: the server's certificate chain and key (PEM) to speak HTTPS; `nil` for HTTP.
    init(tls: (chain: String, key: String)? = nil, _ behaviour: @escaping @Sendable (Seen) -> Behaviour) async throws {
        let log = Log()
        self.log = log
        var sslContext: NIOSSLContext?
        if let tls {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(tls.chain.utf8)).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(bytes: Array(tls.key.utf8), format: .pem)
            sslContext = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        let context = sslContext
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.state.withLock { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(log: log, behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let log: Log
        let behaviour: @Sendable (Seen) -> Behaviour
        var seen: Seen?

        init(log: Log, behaviour: @escaping @Sendable (Seen) -> Behaviour) {
            self.log = log
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                seen = Seen(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: "")
            case .body(let chunk):
                seen?.body += String(decoding: chunk.readableBytesView, as: UTF8.self)
            case .end:
                guard let request = seen else { return }
                seen = nil
                log.state.withLock { $0.requests.append(request) }
                respond(behaviour(request), context: context)
            }
        }

        private func respond(_ behaviour: Behaviour, context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            switch behaviour {
            case .answer(let status, let body, let close, let chunked):
                if chunked {
                    headers.add(name: "transfer-encoding", value: "chunked")
                } else {
                    headers.add(name: "content-length", value: String(body.utf8.count))
                }
                if close { headers.add(name: "connection", value: "close") }
                let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                // A chunked body goes in two chunks, so the reader must join them.
                let bytes = Array(body.utf8)
                let parts = chunked && bytes.count > 1 ? [bytes[..<(bytes.count / 2)], bytes[(bytes.count / 2)...]] : [bytes[...]]
                for part in parts {
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: part)))), promise: nil)
                }
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if close {
                    let channel = context.channel
                    written.whenComplete { _ in channel.close(promise: nil) }
                }
            case .answerThenHangUp(let status, let body):
                headers.add(name: "content-length", value: String(body.utf8.count))
                let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            case .breakOff(let declared, let sent):
                headers.add(name: "content-length", value: String(declared))
                let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: sent)))))
                    .whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
