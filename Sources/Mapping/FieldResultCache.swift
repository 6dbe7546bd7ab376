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
/// `maxKeyLength` UTF-8 bytes are not kept.
struct FieldResultCache: Sendable {
    /// Distinct values kept per field. Default: 2,048.
    static let capacity = 2048
    /// The longest value (in UTF-8 bytes of text) whose result is kept. Default: 256.
    static let maxKeyLength = 256
    /// One table: each mapping task has a mapper, and so a cache, of its own.
    private let results = RecentResults<SourceValue, FieldResult>(capacity: FieldResultCache.capacity, shards: 1)

    /// The result for `value`, from the table or from `compute` (which is then kept when it can be).
    func result(for value: SourceValue, _ compute: () throws(MappingRuntimeError) -> FieldResult) throws(MappingRuntimeError) -> FieldResult {
        guard FieldResultCache.fitsKey(value) else { return try compute() }
        return try results.value(for: value, compute)
    }

    private static func fitsKey(_ value: SourceValue) -> Bool {
        switch value {
        case .string(let s), .decimal(let s), .json(let s): return s.utf8.count <= maxKeyLength
        case .stringArray(let items):
            var total = 0
            for item in items { total += (item?.utf8.count ?? 0) + 1 }
            return total <= maxKeyLength
        case .null, .integer, .double, .bool, .timestamp, .localTimestamp, .date: return true
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
