import SyncCore
import Foundation

/// One branch of a `when` expression: a test on one column and the value it gives.
public struct WhenClause: Sendable {
    /// The column the condition reads.
    public var column: String
    /// What the column's value must satisfy.
    public var condition: Condition
    /// The value when the condition holds.
    public var then: ValueExpression
    /// Where the clause's `column` is written.
    public var location: SourceLocation

    /// A clause testing `column` with `condition`.
    public init(column: String, condition: Condition, then: ValueExpression, location: SourceLocation) {
        self.column = column
        self.condition = condition
        self.then = then
        self.location = location
    }
}

/// A test on a value, written declaratively in a `when` clause.
///
/// Values are compared as the text PostgreSQL would print (`true`, `42`, `2024-01-01 …`), so a
/// comparison written in YAML means the same thing whatever the column's type.
public enum Condition: Sendable {
    /// `equals: v` — the value's text is exactly `v`; `equals: null` is the same as `is_null: true`.
    case equals(String?)
    /// `not_equals: v` — not NULL, and the value's text differs from `v`.
    case notEquals(String)
    /// `in: [a, b]` — the value's text is one of these.
    case oneOf(Set<String>)
    /// `is_null: true` (NULL) or `is_null: false` (any value).
    case isNull(Bool)
    /// `matches: REGEX` — the regular expression matches somewhere in the value's text.
    case matches(TextPattern)

    /// Whether `value` satisfies the condition.
    func holds(for value: SourceValue) -> Bool {
        let text = value.sqlText
        switch self {
        case .equals(let expected): return text == expected
        case .notEquals(let other): return text != nil && text != other
        case .oneOf(let set): return text.map(set.contains) ?? false
        case .isNull(let wanted): return (text == nil) == wanted
        case .matches(let pattern):
            guard let text else { return false }
            return pattern.matches(text)
        }
    }
}
