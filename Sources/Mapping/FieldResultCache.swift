import APIContract
import SyncCore

/// What one field of a row came to: its JSON (checked against its member's contract when it is a
/// top-level member) or the verdict that ends the row.
enum FieldResult: Sendable {
    /// The value to write (`nil`: left out) and how it breaks its member's contract, if it does.
    case value(JSONValue?, violations: [ContractViolation])
    /// A top-level member's value that conforms to its contract, as the JSON text written for it: a
    /// cached result is then copied into each item rather than encoded again.
    case text([UInt8])
    case rejected(RowRejection)
    case skipped(RowRejection)
}

/// Results of one field for recently seen values of the single column it reads.
///
/// A field's result depends on nothing but its column's value (expressions are pure, and the mapper's
/// zone is fixed): a lookup replaces the steps, the conversion and the contract check. Values longer than
/// `maxKeyLength` UTF-8 bytes are not kept, and a table's values and results together are kept under
/// `maxWeight` bytes, so a column of long texts (JSON documents, say) is served as well as one of short
/// codes without the table growing with them.
struct FieldResultCache: Sendable {
    /// Distinct values kept per field. Default: 2,048.
    static let capacity = 2048
    /// The longest value (in UTF-8 bytes of text) whose result is kept. Default: 4,096.
    static let maxKeyLength = 4096
    /// What a field's table may hold, values and results, in bytes (roughly). Default: 512 KiB.
    static let maxWeight = 512 * 1024
    /// One table: each mapping task has a mapper, and so a cache, of its own.
    private let results = RecentResults<SourceValue, FieldResult>(capacity: FieldResultCache.capacity, maxWeight: FieldResultCache.maxWeight,
                                                                  shards: 1)

    /// The result for `value`, from the table or from `compute` (which is then kept when it can be).
    func result(for value: SourceValue, _ compute: () throws(MappingRuntimeError) -> FieldResult) throws(MappingRuntimeError) -> FieldResult {
        guard let size = FieldResultCache.keySize(value) else { return try compute() }
        return try results.value(for: value, weigh: { _, result in size + result.weight }, compute)
    }

    /// The bytes `value` takes as a key, or `nil` when it is too long to keep.
    private static func keySize(_ value: SourceValue) -> Int? {
        let size: Int
        switch value {
        case .string(let s), .decimal(let s), .json(let s): size = s.utf8.count
        case .stringArray(let items): size = items.reduce(0) { $0 + ($1?.utf8.count ?? 0) + 1 }
        case .null, .integer, .double, .bool, .timestamp, .localTimestamp, .date: size = 0
        }
        return size <= maxKeyLength ? size + 32 : nil
    }
}

extension FieldResult {
    /// Roughly the bytes the result holds: its text, its JSON's strings, its messages.
    var weight: Int {
        switch self {
        case .text(let bytes): bytes.count + 16
        case .value(let json, let violations): (json?.weight ?? 0) + violations.reduce(0) { $0 + $1.message.utf8.count + $1.path.utf8.count + 32 }
        case .rejected(let rejection), .skipped(let rejection): rejection.message.utf8.count + 64
        }
    }
}

extension JSONValue {
    /// Roughly the bytes the value holds.
    var weight: Int {
        switch self {
        case .string(let s): s.utf8.count + 16
        case .array(let items): items.reduce(16) { $0 + $1.weight }
        case .object(let object): object.reduce(16) { $0 + $1.0.utf8.count + $1.1.weight }
        default: 16
        }
    }
}

extension ResolvedExpression {
    /// The positions of the columns the expression reads.
    var columns: Set<Int> {
        switch self {
        case .column(let i): return [i]
        case .constant: return []
        case .valueMap(let inner, _, _): return inner.columns
        case .coalesce(let parts): return parts.reduce(into: Set<Int>()) { $0.formUnion($1.columns) }
        case .template(let parts):
            var set = Set<Int>()
            for case .column(let i, _) in parts { set.insert(i) }
            return set
        case .json(let inner, _): return inner.columns
        case .when(let clauses, let otherwise):
            var set = otherwise.columns
            for clause in clauses {
                set.insert(clause.column)
                set.formUnion(clause.then.columns)
            }
            return set
        case .transformed(let inner, _): return inner.columns
        case .attributes(let attributes):
            var set = attributes.object?.columns ?? []
            for pair in attributes.pairs { set.formUnion(pair.value.columns) }
            return set
        }
    }

    /// Whether computing the expression costs more than a lookup: anything but a column or a constant
    /// read as it is.
    var doesWork: Bool {
        switch self {
        case .column, .constant: false
        default: true
        }
    }
}

extension SourceValue: ExactKey {
    /// Texts by their bytes; numbers by their bits (so `-0.0` and `0.0`, which print differently, are two
    /// keys); the other kinds by their own equality, which is exact.
    var exactHash: Int {
        switch self {
        case .null: ExactHash.mix(0, tag: 10)
        case .string(let s): ExactHash.text(s, tag: 11)
        case .decimal(let s): ExactHash.text(s, tag: 12)
        case .json(let s): ExactHash.text(s, tag: 13)
        case .integer(let i): ExactHash.mix(UInt64(bitPattern: i), tag: 14)
        case .double(let d): ExactHash.mix(d.bitPattern, tag: 15)
        case .bool(let b): ExactHash.mix(b ? 1 : 0, tag: 16)
        case .stringArray(let items):
            items.reduce(ExactHash.mix(UInt64(items.count), tag: 17)) { h, item in
                ExactHash.mix(UInt64(bitPattern: Int64(h)) &* 31 &+ UInt64(bitPattern: Int64(item.map { ExactHash.text($0, tag: 18) } ?? 0)), tag: 19)
            }
        case .timestamp, .localTimestamp, .date: ExactHash.mix(UInt64(bitPattern: Int64(hashValue)), tag: 20)
        }
    }

    func isExactly(_ other: SourceValue) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)), (.decimal(let a), .decimal(let b)), (.json(let a), .json(let b)): ExactHash.same(a, b)
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.stringArray(let a), .stringArray(let b)):
            a.count == b.count && zip(a, b).allSatisfy { x, y in
                switch (x, y) {
                case (nil, nil): true
                case (let x?, let y?): ExactHash.same(x, y)
                default: false
                }
            }
        case (.string, _), (.decimal, _), (.json, _), (.double, _), (.stringArray, _): false
        case (.null, _), (.integer, _), (.bool, _), (.timestamp, _), (.localTimestamp, _), (.date, _): self == other
        }
    }
}
