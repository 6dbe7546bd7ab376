/// The highest watermark a run may read to, and what held it back.
public struct UpperBound: Sendable, Hashable {
    /// The bound in the watermark column's text form; `nil` when the relation is empty.
    public var value: String?
    /// The highest watermark present, before any safety margin; `nil` also when it was not looked for
    /// (`upperBound(policy:findHighest:)`).
    public var highest: String?
    /// Whether an open transaction held the bound below the highest watermark (when the highest was not
    /// looked for: below `now()` less the lag, whether or not any row lies above it).
    public var heldByTransaction: Bool
    /// The oldest open transaction's age in seconds, when one held the bound back.
    public var oldestTransactionAge: Double?
    /// Whether this role can see other roles' transactions; without it, their late commits can be missed.
    public var canSeeAllTransactions: Bool
}

/// How a run's upper bound is kept below rows that may still appear below it.
///
/// A transaction stamps its rows with its start time (`now()`), but its rows become visible only when it
/// commits. Reading up to "the highest watermark now" would pass rows of a transaction that began earlier
/// and commits later, and they would never be read: the classic late-commit miss. So, for `timestamptz`
/// watermarks, the bound is also kept below the start of the oldest transaction still open in the
/// database, and below `now() - lag` for writers whose clocks run behind.
public struct BoundPolicy: Sendable, Hashable {
    /// Rows younger than this are left for the next run. Default: zero.
    public var lag: Duration = .zero
    /// Whether open transactions hold the bound back. Default: true.
    public var respectOpenTransactions: Bool = true

    /// The default policy: no lag, open transactions respected.
    public init(lag: Duration = .zero, respectOpenTransactions: Bool = true) {
        self.lag = lag
        self.respectOpenTransactions = respectOpenTransactions
    }

    var lagSeconds: Double {
        let (s, a) = lag.components
        return Double(s) + Double(a) / 1e18
    }
}
