import APIContract
import SyncCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the sandbox accepted, and how many requests it answered with which status.
///
/// Only accepted data is kept: metadata items per entity in arrival order, conversations by
/// `externalId` with their id, latest body and messages in arrival order. With `recordBodies` off the
/// recorder keeps counters and the conversation id table only. With a `recordPath`, every accepted
/// item, conversation and message is also appended to that file as one JSON line:
/// `{"kind":"item","endpoint":…,"entity":…,"body":…}`, `{"kind":"conversation","id":…,"body":…}` or
/// `{"kind":"message","conversationId":…,"body":…}`.
public final class SandboxRecorder: Sendable {
    private struct Conversation {
        var externalId: String
        var id: String
        var body: JSONValue?
        var updateCount: Int
        var messages: [JSONValue]
        var messageCount: Int

        var recorded: RecordedConversation {
            RecordedConversation(externalId: externalId, id: id, body: body, updateCount: updateCount,
                                 messages: messages, messageCount: messageCount)
        }
    }

    private struct State {
        var items: [MetadataEntity: [JSONValue]] = [:]
        var itemCounts: [MetadataEntity: Int] = [:]
        var conversations: [Conversation] = []
        var conversationIndexByExternalId: [String: Int] = [:]
        var conversationIndexById: [String: Int] = [:]
        var messageCount = 0
        var requests: [String: [Int: Int]] = [:]
    }

    /// Whether accepted bodies are kept in memory (otherwise counters only).
    public let recordBodies: Bool
    /// Whether anything is done with accepted bodies (kept, or written to the record file); when not,
    /// the counting variants below stand in for the ones that take bodies.
    let needsBodies: Bool
    private let state = Locked(State())
    // The file is written under its own lock so that lines from concurrent requests never interleave.
    private let file: Locked<UnsafeMutablePointer<FILE>?>

    /// A recorder; opens `recordPath` for appending when given.
    public init(recordBodies: Bool = true, recordPath: String? = nil) throws {
        self.recordBodies = recordBodies
        self.needsBodies = recordBodies || recordPath != nil
        if let recordPath {
            guard let handle = fopen(recordPath, "a") else {
                throw SandboxError(code: .recordFileUnavailable,
                                   message: "cannot open \(recordPath) for appending (errno \(errno))")
            }
            file = Locked(handle)
        } else {
            file = Locked(nil)
        }
    }

    deinit {
        file.withLock { handle in
            if let handle { fclose(handle) }
            handle = nil
        }
    }

    // MARK: Inspection

    /// Accepted items of `entity`, in arrival order (empty when bodies are not kept).
    public func acceptedItems(_ entity: MetadataEntity) -> [JSONValue] {
        state.withLock { $0.items[entity] ?? [] }
    }

    /// How many items of `entity` were accepted.
    public func acceptedItemCount(_ entity: MetadataEntity) -> Int {
        state.withLock { $0.itemCounts[entity] ?? 0 }
    }

    /// Every accepted conversation, in order of first creation.
    public var conversations: [RecordedConversation] {
        state.withLock { $0.conversations.map(\.recorded) }
    }

    /// How many conversations were created.
    public var conversationCount: Int {
        state.withLock { $0.conversations.count }
    }

    /// The conversation created with `externalId`, if any.
    public func conversation(externalId: String) -> RecordedConversation? {
        state.withLock { state in
            state.conversationIndexByExternalId[externalId].map { state.conversations[$0].recorded }
        }
    }

    /// The conversation the sandbox gave `id`, if any.
    public func conversation(id: String) -> RecordedConversation? {
        state.withLock { state in
            state.conversationIndexById[id].map { state.conversations[$0].recorded }
        }
    }

    /// How many messages were accepted across all conversations.
    public var acceptedMessageCount: Int {
        state.withLock { $0.messageCount }
    }

    /// How many requests to `endpoint` were answered with `status`, or with any status when `nil`.
    public func requestCount(_ endpoint: Endpoint, status: Int? = nil) -> Int {
        requestCount(routeName: endpoint.rawValue, status: status)
    }

    /// Requests answered per route and status: route names are `Endpoint` raw values, plus `unrouted`
    /// for paths that match no endpoint.
    public var requestCounts: [String: [Int: Int]] {
        state.withLock { $0.requests }
    }

    /// Forgets everything: accepted data, conversation ids and counters. The record file is kept.
    public func reset() {
        state.withLock { $0 = State() }
    }

    // MARK: Recording (used by the server)

    func requestCount(routeName: String, status: Int?) -> Int {
        state.withLock { state in
            guard let byStatus = state.requests[routeName] else { return 0 }
            if let status { return byStatus[status] ?? 0 }
            return byStatus.values.reduce(0, +)
        }
    }

    func recordRequest(routeName: String, status: Int) {
        state.withLock { $0.requests[routeName, default: [:]][status, default: 0] += 1 }
    }

    func accept(items: [JSONValue], entity: MetadataEntity, endpoint: Endpoint) {
        guard !items.isEmpty else { return }
        state.withLock { state in
            state.itemCounts[entity, default: 0] += items.count
            if recordBodies { state.items[entity, default: []].append(contentsOf: items) }
        }
        appendLines(items.map { item in
            [("kind", .string("item")), ("endpoint", .string(endpoint.rawValue)), ("entity", .string(entity.rawValue)), ("body", item)]
        })
    }

    /// Counts `count` accepted items of `entity` whose bodies are not needed (`needsBodies` is false).
    func accept(itemCount count: Int, entity: MetadataEntity) {
        precondition(!needsBodies, "the recorder keeps bodies")
        guard count > 0 else { return }
        state.withLock { $0.itemCounts[entity, default: 0] += count }
    }

    /// Creates or updates the conversation `externalId`; returns its id, the same on every call. The
    /// body may be left out only when `needsBodies` is false.
    func upsertConversation(externalId: String, body: JSONValue?) -> String {
        precondition(body != nil || !needsBodies, "the recorder keeps bodies")
        let id: String = state.withLock { state in
            if let index = state.conversationIndexByExternalId[externalId] {
                state.conversations[index].updateCount += 1
                if recordBodies { state.conversations[index].body = body }
                return state.conversations[index].id
            }
            let id = SandboxIdentifiers.ulid()
            state.conversationIndexByExternalId[externalId] = state.conversations.count
            state.conversationIndexById[id] = state.conversations.count
            state.conversations.append(Conversation(externalId: externalId, id: id, body: recordBodies ? body : nil,
                                                    updateCount: 1, messages: [], messageCount: 0))
            return id
        }
        appendLines([[("kind", .string("conversation")), ("id", .string(id)), ("body", body ?? .null)]])
        return id
    }

    /// Whether a conversation has the id `id`.
    func hasConversation(id: String) -> Bool {
        state.withLock { $0.conversationIndexById[id] != nil }
    }

    /// Appends `messages` to the conversation `id`; `false` when there is no such conversation.
    func appendMessages(_ messages: [JSONValue], conversationId id: String) -> Bool {
        let found = countMessages(messages.count, conversationId: id) { $0.append(contentsOf: messages) }
        if found {
            appendLines(messages.map { [("kind", .string("message")), ("conversationId", .string(id)), ("body", $0)] })
        }
        return found
    }

    /// Counts `count` messages of the conversation `id` whose bodies are not needed (`needsBodies` is
    /// false); `false` when there is no such conversation.
    func appendMessages(count: Int, conversationId id: String) -> Bool {
        precondition(!needsBodies, "the recorder keeps bodies")
        return countMessages(count, conversationId: id) { _ in }
    }

    private func countMessages(_ count: Int, conversationId id: String, keep: (inout [JSONValue]) -> Void) -> Bool {
        state.withLock { state in
            guard let index = state.conversationIndexById[id] else { return false }
            state.conversations[index].messageCount += count
            state.messageCount += count
            if recordBodies { keep(&state.conversations[index].messages) }
            return true
        }
    }

    private func appendLines(_ lines: @autoclosure () -> [[(String, JSONValue)]]) {
        file.withLock { handle in
            guard let handle else { return }
            var buffer: [UInt8] = []
            for pairs in lines() {
                JSONValue.object(JSONObject(pairs)).encode(into: &buffer)
                buffer.append(UInt8(ascii: "\n"))
            }
            _ = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
            // Flushed per request so the file is complete whenever a test or a person looks at it.
            fflush(handle)
        }
    }
}
