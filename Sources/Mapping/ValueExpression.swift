public import SyncCore

/// How a field's value is computed from a row.
///
/// A field's expression is a tree: a source (`column`, `const`, `template`, `json`, `coalesce`, `when`),
/// optionally wrapped in its transform steps, then its value `map`, then its `default`, in that order.
public indirect enum ValueExpression: Sendable {
    /// The value of a source column.
    case column(String, SourceLocation)
    /// A fixed value.
    case constant(SourceValue)
    /// The text of an inner value looked up in a table; `fallback` says what a miss becomes.
    case valueMap(ValueExpression, entries: [String: SourceValue], fallback: MapFallback, SourceLocation)
    /// The first of these values that is not NULL.
    case coalesce([ValueExpression])
    /// Text with `{{column}}` placeholders filled from the row; NULL when any placeholder's column is NULL.
    case template([TemplatePart], SourceLocation)
    /// The value at `path` inside a `json`/`jsonb` value (or text holding JSON); NULL when absent.
    case json(ValueExpression, path: JSONPath, SourceLocation)
    /// The `then` of the first clause whose condition holds, otherwise `otherwise`.
    case when([WhenClause], otherwise: ValueExpression)
    /// The inner value passed through transform steps, in order.
    case transformed(ValueExpression, [TransformStep])
    /// The metadata `attributes` array built from named values and/or a JSON object.
    case attributes(AttributesMapping)

    /// The columns this expression reads.
    public var columns: [(name: String, location: SourceLocation)] {
        switch self {
        case .column(let name, let location): [(name, location)]
        case .constant: []
        case .valueMap(let inner, _, _, _): inner.columns
        case .coalesce(let parts): parts.flatMap(\.columns)
        case .template(let parts, _):
            parts.compactMap { part in
                if case .column(let name, let location) = part { return (name, location) }
                return nil
            }
        case .json(let inner, _, _): inner.columns
        case .when(let clauses, let otherwise):
            clauses.flatMap { [($0.column, $0.location)] + $0.then.columns } + otherwise.columns
        case .transformed(let inner, _): inner.columns
        case .attributes(let mapping):
            mapping.pairs.flatMap(\.value.columns) + (mapping.object?.columns ?? [])
        }
    }

    /// The value when the expression reads no column (so it can be checked when the file is loaded).
    var constantValue: SourceValue? {
        switch self {
        case .constant(let value): value
        case .template(let parts, _):
            parts.allSatisfy { if case .text = $0 { true } else { false } }
                ? .string(parts.map { if case .text(let t) = $0 { t } else { "" } }.joined()) : nil
        default: nil
        }
    }
}

/// A piece of a `template`: literal text or a column placeholder.
public enum TemplatePart: Sendable, Hashable {
    /// Text copied as written.
    case text(String)
    /// The value of a column, as text.
    case column(String, SourceLocation)
}
