/// The members an object may and must have. Members not listed are refused by the API.
public struct ObjectSchema: Sendable {
    /// A name for diagnostics, e.g. `conversation metadata item`.
    public let name: String
    /// The members, in the vendor's documentation order.
    public let fields: [FieldSpec]
    private let indexByName: [String: Int]

    /// A schema of `fields`; names must be unique.
    public init(name: String, fields: [FieldSpec]) {
        self.name = name
        self.fields = fields
        var index: [String: Int] = [:]
        for (offset, field) in fields.enumerated() {
            precondition(index[field.name] == nil, "duplicate field \(field.name) in \(name)")
            index[field.name] = offset
        }
        self.indexByName = index
    }

    /// The position of the member called `name` in `fields`, or `nil` when the API has no such member.
    public func index(of name: String) -> Int? {
        indexByName[name]
    }

    /// The member called `name`, or `nil` when the API has no such member.
    public func field(named name: String) -> FieldSpec? {
        indexByName[name].map { fields[$0] }
    }

    /// The member names, in documentation order.
    public var fieldNames: [String] { fields.map(\.name) }

    /// The members that must be present.
    public var requiredFields: [FieldSpec] { fields.filter(\.required) }
}
