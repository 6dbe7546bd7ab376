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
///
/// Keys are told apart exactly (`ExactKey`): two texts Swift calls equal because they are canonically
/// equivalent (an accent as one scalar or as a letter and a combining mark) are different inputs to
/// steps that work on scalars and UTF-16 units, and each gets its own result.
final class RecentResults<Key: ExactKey, Value: Sendable>: Sendable {
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

    /// One shard's entries: open addressing with linear probing, at most half the slots used (the slots
    /// double as entries come, up to twice `capacity`), emptied as a whole when it holds `capacity`. A
    /// key's hash is computed once per lookup, its slot found by comparing stored hashes (plain integers)
    /// before any key, and a miss is kept in the slot its lookup ended at: a `Dictionary` hashed a missed
    /// key twice (lookup, then insert), and its bookkeeping cost as much as the work it spared on a
    /// column that repeats one value in four.
    private struct Table {
        /// A slot: the hash of its key (never 0; 0 when the slot is empty), the key and its value, side
        /// by side, so that a lookup reads one place in memory: the tables of a page's fields together
        /// outgrow the processor's caches, and a lookup that read hashes, keys and values from three
        /// arrays waited for memory three times.
        struct Slot {
            var hash = 0
            var key: Key?
            var value: Value?
        }

        var slots: [Slot]
        var mask: Int
        /// The most slots the table grows to: a power of two, at least twice `capacity`.
        let maxSlots: Int
        var count = 0
        var weight = 0
        var lookups = 0
        var hits = 0

        init(capacity: Int) {
            var size = 2
            while size < 2 * capacity { size *= 2 }
            maxSlots = size
            let initial = min(size, 16)
            slots = Array(repeating: Slot(), count: initial)
            mask = initial - 1
        }

        /// A key's hash as the table stores it (0 marks an empty slot).
        static func hash(_ key: Key) -> Int {
            let h = key.exactHash
            return h == 0 ? 1 : h
        }

        /// Doubles the slots when one more entry would fill more than half of them (and they can grow).
        mutating func makeRoom() {
            guard 2 * (count + 1) > slots.count, slots.count < maxSlots else { return }
            let size = slots.count * 2
            var grown = Array(repeating: Slot(), count: size)
            let newMask = size - 1
            for i in slots.indices where slots[i].hash != 0 {
                var j = slots[i].hash & newMask
                while grown[j].hash != 0 { j = (j + 1) & newMask }
                swap(&grown[j], &slots[i])
            }
            slots = grown
            mask = newMask
        }

        /// The slot that holds `key`, or the empty one where it would go. The table always has an empty
        /// slot: at most half of them are used.
        func slot(of key: Key, hash: Int) -> (index: Int, found: Bool) {
            var i = hash & mask
            while true {
                let stored = slots[i].hash
                if stored == 0 { return (i, false) }
                if stored == hash, slots[i].key?.isExactly(key) == true { return (i, true) }
                i = (i + 1) & mask
            }
        }

        mutating func removeAll() {
            for i in slots.indices where slots[i].hash != 0 { slots[i] = Slot() }
            count = 0
            weight = 0
        }
    }

    private final class Shard: Sendable {
        let table: Mutex<Table>

        init(capacity: Int) { table = Mutex(Table(capacity: capacity)) }
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
        self.shards = (0..<max(1, shards)).map { _ in Shard(capacity: max(1, capacity)) }
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
        let hash = Table.hash(key)
        if let hit = shard.table.withLock({ table -> Value? in
            table.lookups += 1
            let (index, found) = table.slot(of: key, hash: hash)
            guard found else { return nil }
            table.hits += 1
            judge(&table, shard)
            return table.slots[index].value
        }) {
            return hit
        }
        let value = try compute()
        let weight = maxWeight == .max ? 0 : weigh(key, value)
        shard.table.withLock { table in
            if weight <= maxWeight {
                if table.count >= capacity || table.weight > maxWeight - weight { table.removeAll() }
                table.makeRoom()
                // Another thread sharing the shard may have kept the same result meanwhile: then it stays.
                let (index, found) = table.slot(of: key, hash: hash)
                if !found {
                    table.slots[index] = Table.Slot(hash: hash, key: key, value: value)
                    table.count += 1
                    table.weight += weight
                }
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
    var count: Int { shards.reduce(0) { $0 + $1.table.withLock { $0.count } } }

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

/// A key told apart from others by its exact content: texts by their bytes, not by canonical equivalence.
protocol ExactKey: Sendable {
    /// A hash that keys which are `isExactly` equal share.
    var exactHash: Int { get }
    func isExactly(_ other: Self) -> Bool
}

/// A fast hash of bytes for the tables of recent results: a folded 64-bit multiply over eight bytes at a
/// time, seeded per process, where `Hasher` runs SipHash over the same bytes. It need not resist crafted
/// input the way a dictionary open to the network must: a table is small and emptied whole, so a run of
/// collisions costs at most a table's length of hash comparisons.
enum ExactHash {
    private static let seed = UInt64.random(in: .min ... .max)

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// `value` with `tag` (which kind of key it is) mixed in.
    static func mix(_ value: UInt64, tag: UInt64) -> Int {
        Int(truncatingIfNeeded: fold(value ^ seed ^ 0xa076_1d64_78bd_642f, tag ^ 0xe703_7ed1_a0b4_28db))
    }

    /// The hash of `bytes`, with `tag` mixed in.
    static func bytes(_ bytes: UnsafeRawBufferPointer, tag: UInt64) -> Int {
        let count = bytes.count
        var h = seed ^ tag ^ (UInt64(count) &* 0x9e37_79b9_7f4a_7c15)
        var i = 0
        while i + 8 <= count {
            h = fold(h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self), 0xa076_1d64_78bd_642f)
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = fold(h ^ tail, 0xe703_7ed1_a0b4_28db)
        }
        return Int(truncatingIfNeeded: fold(h, 0x8ebc_6af0_9c88_c6e3))
    }

    /// The hash of `text`'s UTF-8 bytes, with `tag` mixed in.
    static func text(_ text: String, tag: UInt64) -> Int {
        if let hash = text.utf8.withContiguousStorageIfAvailable({ ExactHash.bytes(UnsafeRawBufferPointer($0), tag: tag) }) { return hash }
        return Array(text.utf8).withUnsafeBytes { ExactHash.bytes($0, tag: tag) }
    }

    /// Whether two texts have the same UTF-8 bytes (not merely canonically equivalent scalars).
    static func same(_ a: String, _ b: String) -> Bool {
        let count = a.utf8.count
        guard count == b.utf8.count else { return false }
        let contiguous = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                count == 0 || memcmp(x.baseAddress!, y.baseAddress!, count) == 0
            }
        }
        if let result = contiguous ?? nil { return result }
        return a.utf8.elementsEqual(b.utf8)
    }
}
