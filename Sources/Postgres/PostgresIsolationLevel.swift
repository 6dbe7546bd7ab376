/// A transaction isolation level, as `BEGIN ISOLATION LEVEL …` names it.
public enum PostgresIsolationLevel: String, Sendable, Hashable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}
