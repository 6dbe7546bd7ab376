/// One member of an object as the API defines it.
public struct FieldSpec: Sendable {
    /// The JSON member name, exactly as the API spells it.
    public let name: String
    /// What the value must be.
    public let type: FieldType
    /// Whether the member must be present (and then never `null`).
    public let required: Bool
    /// Whether an optional member may be sent as `null`.
    public let nullable: Bool
    /// One-line description from the vendor's documentation, for editors and diagnostics.
    public let summary: String

    /// A field; `nullable` defaults to `!required`, as every optional metadata field is nullable.
    public init(_ name: String, _ type: FieldType, required: Bool = false, nullable: Bool? = nil, summary: String) {
        self.name = name
        self.type = type
        self.required = required
        self.nullable = nullable ?? !required
        self.summary = summary
    }
}
