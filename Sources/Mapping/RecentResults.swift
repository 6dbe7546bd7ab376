import Synchronization

/// A table of results for recently seen inputs, shared by the tasks that map rows.
///
/// Mapping repeats itself: the columns that need work (value maps, transform steps, regular expressions,
/// JSON) usually hold a handful of distinct values over millions of rows, so a hash lookup can stand in
/// for the work. Memory is bounded: the table is emptied when it holds `capacity` entries, and the caller
/// keeps out inputs too large to be worth keeping.
final class RecentResults<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Entries kept before the table is emptied.
    let capacity: Int
    private let table: Mutex<[Key: Value]>

    init(capacity: Int) {
        self.capacity = capacity
        self.table = Mutex([:])
    }

    /// The result for `key`, from the table or from `compute` (then kept).
    func value<E: Error>(for key: Key, _ compute: () throws(E) -> Value) throws(E) -> Value {
        if let hit = table.withLock({ $0[key] }) { return hit }
        let value = try compute()
        table.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = value
        }
        return value
    }
}
