import Foundation
import Synchronization

/// A table of results for recently seen inputs, safe to share between the tasks that map rows.
///
/// Mapping repeats itself: the columns that need work (value maps, transform steps, regular expressions,
/// JSON) usually hold a handful of distinct values over millions of rows, so a hash lookup can stand in
/// for the work. Memory is bounded: a table is emptied when it holds `capacity` entries or when what it
/// holds would weigh more than `maxWeight` (each entry weighs what the caller says its input and result
/// take, in bytes), and an entry heavier than that alone is not kept.
///
/// The tasks that map a page run on one thread per core, all looking up the same fields: one table under
/// one lock would have them queue for it on every value. Each thread uses a table of its own instead
/// (`shards`, one per core by default), so a lookup takes a lock nobody else wants.
///
/// Some columns do not repeat (e-mail addresses, phone numbers): there every lookup misses, and hashing,
/// locking and storing only add to the work. Each table watches its own hit rate over each `window` of
/// lookups; when fewer than one in `minimumHitShare` hit, it steps aside for the next `rest` inputs (which
/// are computed directly) and then tries again with the entries it kept, so a column that starts to
/// repeat is served from the table again.
final class RecentResults<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Entries kept per table before it is emptied.
    let capacity: Int
    /// The most the entries of one table may weigh together. Default: no limit.
    let maxWeight: Int
    /// Lookups over which the hit rate is judged. Default: 1,024.
    let window: Int
    /// A table steps aside when fewer than 1 in `minimumHitShare` lookups of a window hit. Default: 8.
    let minimumHitShare: Int
    /// Inputs computed directly, without the table, after a window with too few hits. Default: 15 windows.
    let rest: Int
    private let shards: [Shard]

    private struct Table {
        var entries: [Key: Value] = [:]
        var weight = 0
        var lookups = 0
        var hits = 0
    }

    private final class Shard: Sendable {
        let table = Mutex(Table())
        /// Inputs still to compute without the table; zero or less while it is in use.
        let resting = Atomic<Int>(0)
    }

    init(capacity: Int, maxWeight: Int = .max, window: Int = 1024, minimumHitShare: Int = 8, rest: Int? = nil,
         shards: Int = RecentResults.defaultShards) {
        self.capacity = capacity
        self.maxWeight = maxWeight
        self.window = window
        self.minimumHitShare = minimumHitShare
        self.rest = rest ?? 15 * window
        self.shards = (0..<max(1, shards)).map { _ in Shard() }
    }

    /// One table per core (the threads mapping runs on), at most 8.
    static var defaultShards: Int { min(8, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    /// The result for `key`, from the calling thread's table or from `compute` (then kept, unless
    /// `weigh` says the entry is heavier than a whole table may be).
    func value<E: Error>(for key: Key, weigh: (Key, Value) -> Int = { _, _ in 0 },
                         _ compute: () throws(E) -> Value) throws(E) -> Value {
        let shard = shards.count == 1 ? shards[0] : shards[ThreadSlot.current % shards.count]
        if shard.resting.load(ordering: .relaxed) > 0 {
            // Two threads sharing a table may both take the last input of a rest: it then ends one late.
            shard.resting.subtract(1, ordering: .relaxed)
            return try compute()
        }
        if let hit = shard.table.withLock({ table -> Value? in
            table.lookups += 1
            guard let hit = table.entries[key] else { return nil }
            table.hits += 1
            judge(&table, shard)
            return hit
        }) {
            return hit
        }
        let value = try compute()
        let weight = maxWeight == .max ? 0 : weigh(key, value)
        shard.table.withLock { table in
            if weight <= maxWeight {
                if table.entries.count >= capacity || table.weight > maxWeight - weight {
                    table.entries.removeAll(keepingCapacity: true)
                    table.weight = 0
                }
                table.entries[key] = value
                table.weight += weight
            }
            judge(&table, shard)
        }
        return value
    }

    /// At the end of a window: whether the table earned its keep, and a new window.
    private func judge(_ table: inout Table, _ shard: Shard) {
        guard table.lookups >= window else { return }
        if table.hits * minimumHitShare < table.lookups { shard.resting.store(rest, ordering: .relaxed) }
        table.lookups = 0
        table.hits = 0
    }

    /// Whether the calling thread's table is stepping aside now (for tests and diagnostics).
    var isResting: Bool { shards[ThreadSlot.current % shards.count].resting.load(ordering: .relaxed) > 0 }

    /// The entries held now, in every table.
    var count: Int { shards.reduce(0) { $0 + $1.table.withLock { $0.entries.count } } }

    /// What the entries held now weigh, in every table.
    var weight: Int { shards.reduce(0) { $0 + $1.table.withLock { $0.weight } } }
}

/// A small number for the calling thread, the same for its whole life: threads are numbered in the order
/// they first ask, so the few threads that map rows get distinct numbers.
enum ThreadSlot {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()
    private static let next = Atomic<Int>(1)

    static var current: Int {
        if let slot = pthread_getspecific(key) { return Int(bitPattern: slot) }
        let slot = next.add(1, ordering: .relaxed).oldValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: slot))
        return slot
    }
}
