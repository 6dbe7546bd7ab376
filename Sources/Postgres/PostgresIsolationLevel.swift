/// A transaction isolation level, as `BEGIN ISOLATION LEVEL …` names it.
public enum PostgresIsolationLevel: String, Sendable, Hashable {
    /// Each statement sees data committed before it began (PostgreSQL's default).
    case readCommitted = "READ COMMITTED"
    /// Every statement sees one snapshot, taken at the first statement.
    case repeatableRead = "REPEATABLE READ"
    /// Like repeatable read, and the outcome equals some serial order of the transactions.
    case serializable = "SERIALIZABLE"
}
