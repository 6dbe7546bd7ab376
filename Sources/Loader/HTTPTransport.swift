import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP/1.1 to one origin over keep-alive connections: one exchange at a time per connection, as many
/// connections as there are requests in flight, idle ones kept for the next request.
///
/// This is all the connector needs of an HTTP client, and only that: it posts small JSON bodies to one
/// server, and each request's cost is on the hot path of every stream (a transcript is two requests per
/// conversation). SwiftNIO's HTTP codec does the parsing and encoding; this type adds the pool, the
/// deadline and the size limit. Retries are the caller's: a failed exchange closes its connection.
final class HTTPTransport: Sendable {
    /// One complete answer.
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    let origin: HTTPOrigin
    /// The `Host` header's value, written once.
    private let hostHeader: String
    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private let connectTimeout: TimeAmount
    private let pool: Mutex<Pool>
    /// Idle connections kept beyond this many are closed when released.
    private let maxIdle: Int

    private struct Pool {
        var idle: [any Channel] = []
        var shutDown = false
    }

    /// - Throws: `LoaderConfigurationError` when TLS cannot be set up for an `https` origin.
    init(origin: HTTPOrigin, tls: TLSConfiguration?, connectTimeout: Duration, maxIdle: Int = 64,
         group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(LoaderConfigurationError) {
        self.origin = origin
        self.hostHeader = origin.hostHeader
        self.group = group
        self.connectTimeout = TimeAmount(connectTimeout)
        self.maxIdle = maxIdle
        self.pool = Mutex(Pool())
        if origin.tls {
            do {
                sslContext = try NIOSSLContext(configuration: tls ?? .makeClientConfiguration())
            } catch {
                throw LoaderConfigurationError(code: .tlsSetupFailed, message: "TLS could not be set up: \(error)")
            }
        } else {
            sslContext = nil
        }
    }

    /// Sends one request and reads its whole answer.
    ///
    /// - Parameters:
    ///   - path: appended to the origin's path prefix; it must start with `/`.
    ///   - headers: sent as given; `Host` and `Content-Length` are added here.
    ///   - timeout: from the moment the request is written to the answer's last byte.
    ///   - maxResponseBytes: a longer answer fails the exchange (and closes its connection).
    /// - Throws: `HTTPTransportError`, NIO's channel and TLS errors, or `CancellationError`.
    func send(_ method: HTTPMethod, path: String, headers: HTTPHeaders, body: ByteBuffer?,
              timeout: Duration, maxResponseBytes: Int) async throws -> Response {
        let channel = try await connection()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: origin.pathPrefix + path, headers: headers)
        head.headers.add(name: "host", value: hostHeader)
        if let body {
            head.headers.add(name: "content-length", value: String(body.readableBytes))
        }
        let promise = channel.eventLoop.makePromise(of: HTTPExchange.Answer.self)
        let exchange = HTTPExchange(head: head, body: body, deadline: .now() + TimeAmount(timeout),
                                    timeout: timeout, maxResponseBytes: maxResponseBytes, promise: promise)
        let answer: HTTPExchange.Answer
        do {
            answer = try await withTaskCancellationHandler {
                // A connection that closed after it was taken from the pool never reaches the handler:
                // the write fails before it, and so must the exchange (completing a promise twice is a
                // no-op, so the handler's own outcome stands when it had one).
                let written = channel.eventLoop.makePromise(of: Void.self)
                channel.writeAndFlush(exchange, promise: written)
                written.futureResult.whenFailure { promise.fail(HTTPTransportError.normalized($0)) }
                return try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            channel.close(promise: nil)
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
        if answer.reusable {
            release(channel)
        } else {
            channel.close(promise: nil)
        }
        return answer.response
    }

    /// Closes every idle connection; connections released later are closed rather than kept.
    func shutdown() async {
        let idle = pool.withLock { pool in
            pool.shutDown = true
            defer { pool.idle.removeAll() }
            return pool.idle
        }
        for channel in idle {
            try? await channel.close()
        }
    }

    /// An idle connection that is still open, or a new one.
    private func connection() async throws -> any Channel {
        while let channel = pool.withLock({ $0.idle.popLast() }) {
            if channel.isActive { return channel }
        }
        return try await connect()
    }

    private func release(_ channel: any Channel) {
        let keep = pool.withLock { pool in
            guard !pool.shutDown, pool.idle.count < maxIdle, channel.isActive else { return false }
            pool.idle.append(channel)
            return true
        }
        if !keep { channel.close(promise: nil) }
    }

    /// A new connection, with its TLS handshake done for an `https` origin, so that a certificate the
    /// client does not trust fails here, with TLS's own words, rather than as a closed connection later.
    private func connect() async throws -> any Channel {
        let sslContext = sslContext
        let serverName = origin.hostIsAddress ? nil : origin.host
        let eventLoop = group.next()
        let handshake = sslContext == nil ? nil : eventLoop.makePromise(of: Void.self)
        let handshakeTimeout = connectTimeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext, let handshake {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        try channel.pipeline.syncOperations.addHandler(
                            TLSHandshakeWaiter(promise: handshake, timeout: handshakeTimeout))
                    }
                    // Header values are the configuration's own, checked once when it is validated
                    // (`LoaderConfiguration.validateCredentials`), so NIO's per-request check of every
                    // header (about 5% of the connector's time on transcripts) is left off.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: origin.host, port: origin.port).get()
        } catch {
            handshake?.fail(error)
            throw error
        }
        if let handshake {
            do {
                try await handshake.futureResult.get()
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }
        return channel
    }
}

/// Completes its promise when the TLS handshake in front of it finishes, or fails it with the
/// handshake's error, a closed connection, or the connect timeout; then leaves the pipeline.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let promise: EventLoopPromise<Void>
    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(promise: EventLoopPromise<Void>, timeout: TimeAmount) {
        self.promise = promise
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = promise, timeout = timeout
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            promise.fail(HTTPTransportError(description: "the TLS handshake did not finish within the connect timeout (\(timeout))"))
            channel.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent {
            deadline?.cancel()
            promise.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        deadline?.cancel()
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        promise.fail(HTTPTransportError.closed)
        context.fireChannelInactive()
    }
}

/// Why an exchange failed, in words fit for a delivery error.
struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    var description: String

    static func timedOut(_ timeout: Duration) -> HTTPTransportError {
        HTTPTransportError(description: "no complete answer within the request timeout (\(timeout))")
    }
    static let closed = HTTPTransportError(description: "the connection closed before the answer was complete")
    static func tooLarge(_ limit: Int) -> HTTPTransportError {
        HTTPTransportError(description: "the answer is larger than \(limit) bytes")
    }
    static func malformed(_ error: HTTPParserError) -> HTTPTransportError {
        HTTPTransportError(description: "the answer is not valid HTTP/1.1 (\(error))")
    }
    /// `error` in the transport's words where it has them: a connection closed under a request, or an
    /// answer that is not HTTP; anything else (TLS, socket errors) as it is.
    static func normalized(_ error: any Error) -> any Error {
        if let error = error as? HTTPParserError {
            return error == .invalidEOFState ? HTTPTransportError.closed : HTTPTransportError.malformed(error)
        }
        if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .eof || error == .outputClosed {
            return HTTPTransportError.closed
        }
        if let error = error as? IOError, error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
            return HTTPTransportError.reset
        }
        return error
    }
    static let reset = HTTPTransportError(description: "the server reset the connection before the answer was complete")
    static let unexpectedAnswer = HTTPTransportError(description: "the server answered a request that was not sent")
    static let busy = HTTPTransportError(description: "a second request was written to a connection in use")
}

/// One request to write and the promise of its answer.
struct HTTPExchange: Sendable {
    struct Answer: Sendable {
        var response: HTTPTransport.Response
        /// Whether the connection may carry another request.
        var reusable: Bool
    }

    var head: HTTPRequestHead
    var body: ByteBuffer?
    var deadline: NIODeadline
    var timeout: Duration
    var maxResponseBytes: Int
    var promise: EventLoopPromise<Answer>
}

/// The last handler of a client connection: writes an exchange's request, gathers its answer, and
/// fails the exchange on a deadline, an oversized answer, an error or the connection closing.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: HTTPExchange?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var deadline: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.promise.fail(HTTPTransportError.busy)
            promise?.fail(HTTPTransportError.busy)
            return
        }
        pending = exchange
        head = nil
        body = nil
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(deadline: exchange.deadline) {
            let (handler, context) = bound.value
            handler.fail(HTTPTransportError.timedOut(exchange.timeout), context: context)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        written.futureResult.whenFailure { error in
            let (handler, context) = bound.value
            handler.fail(HTTPTransportError.normalized(error), context: context)
        }
        written.futureResult.cascade(to: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = pending else {
            // Nothing was asked: whatever this is, the connection cannot be trusted with a request.
            fail(HTTPTransportError.unexpectedAnswer, context: context)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            // Informational answers (100 Continue) precede the real one.
            if responseHead.status.code < 200 { return }
            let declared = responseHead.headers.first(name: "content-length").flatMap { Int($0) }
            if let declared, declared > exchange.maxResponseBytes {
                fail(HTTPTransportError.tooLarge(exchange.maxResponseBytes), context: context)
                return
            }
            head = responseHead
            body = context.channel.allocator.buffer(capacity: min(declared ?? 256, exchange.maxResponseBytes))
        case .body(var part):
            guard head != nil else { return }
            if (body?.readableBytes ?? 0) + part.readableBytes > exchange.maxResponseBytes {
                fail(HTTPTransportError.tooLarge(exchange.maxResponseBytes), context: context)
                return
            }
            body?.writeBuffer(&part)
        case .end:
            guard let responseHead = head else { return }
            deadline?.cancel()
            deadline = nil
            pending = nil
            head = nil
            let response = HTTPTransport.Response(status: Int(responseHead.status.code), headers: responseHead.headers,
                                                  body: body ?? ByteBuffer())
            body = nil
            exchange.promise.succeed(HTTPExchange.Answer(response: response, reusable: responseHead.isKeepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPTransportError.closed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(HTTPTransportError.normalized(error), context: context)
    }

    /// Fails the exchange in progress, if any, and closes the connection: after a failure, what the
    /// connection would read next cannot be matched to a request.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        head = nil
        body = nil
        if let exchange = pending {
            pending = nil
            exchange.promise.fail(error)
        }
        context.close(promise: nil)
    }
}
