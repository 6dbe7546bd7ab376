import APIContract
import SyncCore

/// How a metadata item's `attributes` array (`[{name, value}]`, at most `APILimits.maxAttributes`) is built.
///
/// Named pairs come first, in file order, then the members of `object` in the JSON's order, skipping
/// names already given; a NULL value leaves its pair out. Non-text JSON values are sent as their compact
/// JSON text (`3`, `true`, `["a"]`).
public struct AttributesMapping: Sendable {
    /// Attribute names and the expression of each value, in file order.
    public var pairs: [(name: String, value: ValueExpression)]
    /// An expression giving a JSON object (typically a `jsonb` column) whose members become attributes.
    public var object: ValueExpression?
    /// Steps applied to every attribute value, e.g. `truncate: 1024`.
    public var valueSteps: [TransformStep]
    /// What a row with more than `limit` attributes does.
    public var overflow: AttributeOverflow
    /// The most attributes sent: `APILimits.maxAttributes` (10).
    public var limit: Int { APILimits.maxAttributes }

    /// A mapping of named pairs and/or an object's members.
    public init(pairs: [(name: String, value: ValueExpression)], object: ValueExpression?, valueSteps: [TransformStep],
                overflow: AttributeOverflow) {
        self.pairs = pairs
        self.object = object
        self.valueSteps = valueSteps
        self.overflow = overflow
    }
}

/// What happens when a row has more attributes than the API takes.
public enum AttributeOverflow: String, Sendable, Hashable, CaseIterable {
    /// The row is rejected and recorded (the default: nothing is dropped silently).
    case reject
    /// The first ten are sent; the rest are dropped.
    case truncate
}
