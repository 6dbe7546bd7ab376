import Dispatch
@testable import Mapping
import Synchronization
import SyncCore
import Testing

@Suite("The table of recent results")
struct RecentResultsTests {
    /// Looks up each key in turn, counting the computations the table could not spare.
    private func run(_ table: RecentResults<Int, Int>, _ keys: some Sequence<Int>) -> Int {
        var computed = 0
        for key in keys {
            let value = table.value(for: key) { () -> Int in
                computed += 1
                return key * 10
            }
            #expect(value == key * 10)
        }
        return computed
    }

    @Test("repeating inputs are computed once each")
    func repeatingInputs() {
        let table = RecentResults<Int, Int>(capacity: 64, window: 100, shards: 1)
        let computed = run(table, (0..<5_000).map { $0 % 20 })
        #expect(computed == 20)
        #expect(!table.isResting)
    }

    @Test("inputs that never repeat make the table step aside, and it comes back when they repeat again")
    func stepsAsideAndComesBack() {
        let table = RecentResults<Int, Int>(capacity: 200, window: 100, minimumHitShare: 8, rest: 300, shards: 1)
        // A window of distinct inputs: every lookup misses, so the table rests.
        #expect(run(table, 0..<100) == 100)
        #expect(table.isResting)
        // While it rests, every input is computed, even one it holds.
        #expect(run(table, Array(repeating: 5, count: 300)) == 300)
        #expect(!table.isResting)
        // Back in use: the entries kept from before serve their inputs again.
        #expect(run(table, Array(repeating: 5, count: 50)) == 0)
        #expect(run(table, (0..<1_000).map { 1_000 + $0 % 10 }) == 10)
        #expect(!table.isResting)
    }

    @Test("a hit rate at the threshold keeps the table; below it, the table rests")
    func threshold() {
        // One hit in eight lookups is enough (10 of 80).
        let kept = RecentResults<Int, Int>(capacity: 1_000, window: 80, minimumHitShare: 8, rest: 500, shards: 1)
        let atThreshold = (0..<80).map { $0 % 7 == 0 ? -1 : $0 }   // the key -1 repeats: 11 hits of 80
        _ = run(kept, atThreshold)
        #expect(!kept.isResting)
        let dropped = RecentResults<Int, Int>(capacity: 1_000, window: 80, minimumHitShare: 8, rest: 500, shards: 1)
        let below = (0..<80).map { $0 % 20 == 0 ? -1 : $0 }         // 3 hits of 80
        _ = run(dropped, below)
        #expect(dropped.isResting)
    }

    @Test("the table never holds more than its capacity")
    func boundedMemory() {
        let table = RecentResults<Int, Int>(capacity: 16, window: 1_000_000, shards: 1)
        // 17 distinct inputs cycling through a table of 16: it is emptied and refilled, and still right.
        let computed = run(table, (0..<170).map { $0 % 17 })
        #expect(computed > 17)
        #expect(table.count <= 16)
    }

    @Test("the entries of a table never weigh more than its limit, and one heavier than that is not kept")
    func boundedWeight() {
        let table = RecentResults<Int, Int>(capacity: 1_000, maxWeight: 100, window: 1_000_000, shards: 1)
        var computed = 0
        func look(_ key: Int) {
            let value = table.value(for: key, weigh: { key, _ in key < 1_000 ? 30 : 101 }) { () -> Int in
                computed += 1
                return key * 10
            }
            #expect(value == key * 10)
            #expect(table.weight <= 100)
        }
        // Entries of 30: three fit, a fourth empties the table first.
        for key in [1, 2, 3, 1, 2, 3] { look(key) }
        #expect(computed == 3)
        #expect(table.count == 3 && table.weight == 90)
        look(4)
        #expect(table.count == 1 && table.weight == 30)
        // An entry heavier than the whole table is computed every time and leaves the table as it was.
        computed = 0
        for _ in 0..<3 { look(5_000) }
        #expect(computed == 3)
        #expect(table.count == 1)
    }

    @Test("keys are told apart exactly: canonically equivalent texts, and zeros of both signs, are different inputs")
    func keysAreExact() {
        let table = RecentResults<SourceValue, String>(capacity: 64, window: 1_000_000, shards: 1)
        var computed = 0
        func look(_ key: SourceValue) -> String {
            table.value(for: key) { () -> String in
                computed += 1
                return "\(key)"
            }
        }
        let inputs: [SourceValue] = [.string("caf\u{E9}"), .string("cafe\u{301}"), .double(0.0), .double(-0.0), .json("caf\u{E9}"),
                                     .stringArray(["caf\u{E9}", nil]), .stringArray(["cafe\u{301}", nil]), .stringArray([nil, "caf\u{E9}"])]
        for key in inputs + inputs { #expect(look(key) == "\(key)") }
        // Each computed once, and none served another's result.
        #expect(computed == inputs.count)
        #expect(table.count == inputs.count)
    }

    @Test("threads looking up at once each get the right results, each from a table of its own")
    func concurrentLookups() {
        let table = RecentResults<Int, Int>(capacity: 64, window: 100, shards: 4)
        let computed = Atomic<Int>(0)
        let wrong = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<20_000 {
                let key = (i * 7 + worker) % 30
                let value = table.value(for: key) { () -> Int in
                    computed.add(1, ordering: .relaxed)
                    return key * 10
                }
                if value != key * 10 { wrong.add(1, ordering: .relaxed) }
            }
        }
        #expect(wrong.load(ordering: .relaxed) == 0)
        // A thread computes an input at most once (the table never fills), whoever shares its table.
        #expect(computed.load(ordering: .relaxed) <= 4 * 30)
        #expect(table.count <= 4 * 30)
    }
}

/// The tests' keys: integers, exact by nature.
extension Int: ExactKey {
    public var exactHash: Int { ExactHash.mix(UInt64(bitPattern: Int64(self)), tag: 1) }
    public func isExactly(_ other: Int) -> Bool { self == other }
}
