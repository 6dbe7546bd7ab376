import APIContract
import Foundation
@testable import Loader
import Logging
import SandboxServer
import SyncCore
import Testing

@Suite("Requests in flight, cut by overload answers")
struct InFlightLimitTests {
    /// `count` permits of `limit`, taken one after another.
    static func take(_ count: Int, of limit: InFlightLimit) async throws -> [InFlightLimit.Permit] {
        var permits: [InFlightLimit.Permit] = []
        for _ in 0..<count { permits.append(try await limit.acquire()) }
        return permits
    }

    /// Waits (briefly, polling) until `condition` holds; a test then asserts it.
    static func eventually(_ condition: () -> Bool) async {
        for _ in 0..<500 where !condition() { try? await Task.sleep(for: .milliseconds(2)) }
    }

    @Test("up to the limit, requests go at once; one more waits until a request gives its room back")
    func waitsForRoom() async throws {
        let limit = InFlightLimit(ceiling: 3)
        var permits = try await Self.take(3, of: limit)
        #expect(limit.inFlight == 3)
        let fourth = Task { try await limit.acquire() }
        await Self.eventually { limit.waiting == 1 }
        #expect(limit.waiting == 1)
        #expect(limit.inFlight == 3)
        limit.release(permits.removeFirst(), .answered)
        permits.append(try await fourth.value)
        #expect(limit.inFlight == 3)
        #expect(limit.waiting == 0)
        for permit in permits { limit.release(permit, .unknown) }
        #expect(limit.inFlight == 0)
    }

    @Test("an overload answer halves the requests actually in flight, once for a whole burst")
    func overloadHalvesOncePerBurst() async throws {
        let limit = InFlightLimit(ceiling: 64)
        var burst = try await Self.take(16, of: limit)
        // The ceiling is 64 but 16 were in flight: the cut starts from 16.
        limit.release(burst.removeFirst(), .overloaded)
        #expect(limit.limit == 8)
        // The rest of the burst went out before the cut: their 429s say nothing new.
        for _ in 0..<5 { limit.release(burst.removeFirst(), .overloaded) }
        #expect(limit.limit == 8)
        // Ten still in flight, over the limit of 8: a new request waits until fewer than 8 are.
        let waiting = Task { try await limit.acquire() }
        await Self.eventually { limit.waiting == 1 }
        limit.release(burst.removeFirst(), .answered)
        limit.release(burst.removeFirst(), .answered)
        #expect(limit.waiting == 1, "8 in flight under a limit of 8 leave no room")
        limit.release(burst.removeFirst(), .answered)
        let late = try await waiting.value
        #expect(limit.inFlight == 8)
        // A request sent after the cut that meets an overload cuts again.
        limit.release(late, .overloaded)
        #expect(limit.limit == 4)
        for permit in burst { limit.release(permit, .answered) }
        #expect(limit.limit == 4, "answers to requests sent before the cut do not raise it")
        #expect(limit.inFlight == 0)
    }

    @Test("answers raise a full limit by about one request per round of answers, then slowly near the level that was overloaded, up to the ceiling")
    func answersRaiseFullLimit() async throws {
        let limit = InFlightLimit(ceiling: 12)
        var permits = try await Self.take(8, of: limit)
        limit.release(permits.removeFirst(), .overloaded)
        #expect(limit.limit == 4)
        for permit in permits { limit.release(permit, .answered) }
        // A steady stream: the limit always full, each answer followed by the next request.
        permits = try await Self.take(4, of: limit)
        func answer(_ count: Int) async throws {
            for _ in 0..<count {
                limit.release(permits.removeFirst(), .answered)
                while limit.inFlight < limit.limit { permits.append(try await limit.acquire()) }
            }
        }
        try await answer(40)
        // 8 were in flight at the overload: 4 + 1/4 + 1/4.25 + ... up to 7 within 17 answers, then
        // 1/(16 × limit) an answer, 7.31 after 40 answers, 8.12 after 140, 10.77 after 540.
        #expect(limit.limit == 7)
        try await answer(100)
        #expect(limit.limit == 8)
        try await answer(400)
        #expect(limit.limit == 10)
        try await answer(1000)
        #expect(limit.limit == 12, "the ceiling bounds it")
        // A limit that is not full learns nothing from its answers.
        let idle = InFlightLimit(ceiling: 64)
        var few = try await Self.take(6, of: idle)
        idle.release(few.removeFirst(), .overloaded)
        #expect(idle.limit == 3)
        for permit in few { idle.release(permit, .answered) }
        for _ in 0..<30 {
            let permit = try await idle.acquire()
            idle.release(permit, .answered)
        }
        #expect(idle.limit == 3, "one request at a time under a limit of 3 does not raise it")
    }

    @Test("a transport failure changes nothing, and the limit never falls below one request")
    func floorAndUnknown() async throws {
        let limit = InFlightLimit(ceiling: 8)
        let first = try await limit.acquire()
        limit.release(first, .unknown)
        #expect(limit.limit == 8)
        for _ in 0..<5 {
            let permit = try await limit.acquire()
            limit.release(permit, .overloaded)
        }
        #expect(limit.limit == 1)
        let one = try await limit.acquire()
        #expect(limit.inFlight == 1)
        limit.release(one, .answered)
    }

    @Test("waiting requests get room in the order they came; a cancelled one leaves the queue")
    func fifoAndCancellation() async throws {
        let limit = InFlightLimit(ceiling: 1)
        let held = try await limit.acquire()
        let order = Mutexed<[Int]>([])
        var waiters: [Task<Void, any Error>] = []
        for i in 0..<3 {
            waiters.append(Task {
                let permit = try await limit.acquire()
                order.withLock { $0.append(i) }
                limit.release(permit, .answered)
            })
            await Self.eventually { limit.waiting == i + 1 }
        }
        let cancelled = Task { try await limit.acquire() }
        await Self.eventually { limit.waiting == 4 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        #expect(limit.waiting == 3)
        limit.release(held, .answered)
        for waiter in waiters { try await waiter.value }
        #expect(order.withLock { $0 } == [0, 1, 2])
        #expect(limit.inFlight == 0)
        // Cancelled before it asked: it throws without taking room.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limit.acquire()
        }
        let earlyResult = await early.result
        #expect(throws: CancellationError.self) { try earlyResult.get() }
        #expect(limit.inFlight == 0)
        #expect(limit.waiting == 0)
    }

    @Test("against an API that takes 4 requests at once, 32 concurrent callers meet a few 429s, not one per extra request, and every item arrives")
    func convergesUnderCapacity() async throws {
        var faults = SandboxFaults()
        faults.maxConcurrentRequests = 4
        faults.latency = .milliseconds(20)
        faults.retryAfterSeconds = 0
        let log = CapturedLog()
        let logger = Logger(label: "loader-test") { _ in log }
        try await LoaderSandbox.with(faults: faults) { sandbox, configuration in
            let (results, limit) = try await APIClient.withClient(configuration, logger: logger) { client in
                let results = try await withThrowingTaskGroup(of: [ItemResult].self, returning: [ItemResult].self) { group in
                    for worker in 0..<32 {
                        group.addTask {
                            var out: [ItemResult] = []
                            for n in 0..<8 {
                                out += try await client.deliverMetadata([LoaderSandbox.conversation("c-\(worker)-\(n)")], entity: .convo, batched: true)
                            }
                            return out
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                return (results, client.inFlight.limit)
            }
            #expect(results.count == 256)
            #expect(results.allSatisfy { $0.accepted })
            let recorder = sandbox.recorder
            #expect(recorder.acceptedItemCount(.convo) == 256)
            let refused = recorder.requestCount(.manyConvoMetadata, status: 429)
            // A fixed 32 in flight would meet about 28 refusals for every 4 items taken: some 1,800.
            #expect(refused > 0)
            #expect(refused < 160, "\(refused) requests were answered 429")
            #expect(limit <= 8, "the limit ended at \(limit), above what the API takes")
            // The first cut is told at info, the others at debug, each with the new limit.
            let cuts = log.entries.filter { $0.message.hasPrefix("the API answered that it is overloaded") }
            #expect(cuts.filter { $0.level == .info }.count == 1)
            #expect(cuts.count > 1)
            #expect(cuts.allSatisfy { $0.metadata["in-flight-limit"] != nil && $0.metadata["status"] == "429" })
        }
    }
}

/// A value behind a lock, for tests that gather from several tasks.
final class Mutexed<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// A log handler that keeps every entry, at every level, for tests to read.
final class CapturedLog: LogHandler, @unchecked Sendable {
    struct Entry {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }
    private let lock = NSLock()
    private var kept: [Entry] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return kept
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let entry = Entry(level: event.level, message: "\(event.message)",
                          metadata: (event.metadata ?? [:]).mapValues { "\($0)" })
        lock.lock()
        kept.append(entry)
        lock.unlock()
    }
}
