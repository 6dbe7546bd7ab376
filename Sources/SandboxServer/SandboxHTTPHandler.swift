import NIOCore
import NIOHTTP1

/// Reads one HTTP/1.1 request at a time into memory (bounded by `maxBodyBytes`), hands it to the API
/// logic and writes the answer.
///
/// The server pipeline's `HTTPServerPipelineHandler` in front of this one holds back pipelined requests
/// until the previous answer's `.end` is written, so answers always go out in order.
final class SandboxHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: SandboxAPI
    private let maxBodyBytes: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var bodyTooLarge = false

    init(api: SandboxAPI, maxBodyBytes: Int) {
        self.api = api
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            bodyTooLarge = false
            let declared = requestHead.headers.first(name: "content-length").flatMap { Int($0) }
            if let declared, declared > maxBodyBytes {
                // The body is still read (and discarded) so the connection stays usable for the next request.
                bodyTooLarge = true
                body = nil
            } else {
                body = context.channel.allocator.buffer(capacity: min(declared ?? 0, 1 << 20))
                // Clients such as curl wait for this before sending a large body.
                if requestHead.headers.first(name: "expect")?.lowercased() == "100-continue" {
                    let interim = HTTPResponseHead(version: requestHead.version, status: .continue)
                    context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
                }
            }
        case .body(var chunk):
            guard !bodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                bodyTooLarge = true
                body = nil
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let uri = requestHead.uri
            let path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(uri[..<$0]) } ?? uri
            let response: SandboxResponse
            if bodyTooLarge {
                response = api.bodyTooLarge(path: path, limit: maxBodyBytes)
            } else {
                let request = SandboxRequest(
                    method: requestHead.method.rawValue,
                    path: path,
                    headers: requestHead.headers.map { (name: $0.name.lowercased(), value: $0.value) },
                    body: body.map { Array($0.readableBytesView) } ?? []
                )
                response = api.handle(request)
            }
            body = nil
            deliver(response, keepAlive: requestHead.isKeepAlive, version: requestHead.version, context: context)
        }
    }

    private func deliver(_ response: SandboxResponse, keepAlive: Bool, version: HTTPVersion,
                         context: ChannelHandlerContext) {
        guard response.delay > .zero else {
            write(response, keepAlive: keepAlive, version: version, context: context)
            return
        }
        let (seconds, attoseconds) = response.delay.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            let (handler, context) = loopBound.value
            handler.write(response, keepAlive: keepAlive, version: version, context: context)
        }
    }

    private func write(_ response: SandboxResponse, keepAlive: Bool, version: HTTPVersion,
                       context: ChannelHandlerContext) {
        api.answered(response)
        guard case .respond = response.delivery else {
            context.close(promise: nil)
            return
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(4 + response.headers.count)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        // Head, body and end are flushed together: one vectored write, so with TCP_NODELAY the answer
        // leaves in one segment and Nagle's algorithm never holds the body back waiting for an ACK.
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Connection resets and malformed HTTP end the connection; nothing else is worth keeping it for.
        context.close(promise: nil)
    }
}
