/// The members an object may and must have. Members not listed are refused by the API.
public struct ObjectSchema: Sendable {
    /// A name for diagnostics, e.g. `conversation metadata item`.
    public let name: String
    /// The members, in the vendor's documentation order.
    public let fields: [FieldSpec]
    private let indexByName: [String: Int]
    /// For readers of raw JSON bytes: the member names' UTF-8, and the members of each name length.
    let nameBytes: [[UInt8]]
    let fieldsByNameLength: [[Int]]
    /// Bit `i` set when `fields[i]` is required (schemas of up to 64 members; `nil` beyond that).
    let requiredMask: UInt64?

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
        self.nameBytes = fields.map { Array($0.name.utf8) }
        var byLength = [[Int]](repeating: [], count: (nameBytes.map(\.count).max() ?? 0) + 1)
        for (offset, name) in nameBytes.enumerated() { byLength[name.count].append(offset) }
        self.fieldsByNameLength = byLength
        self.requiredMask = fields.count > 64 ? nil : fields.enumerated().reduce(UInt64(0)) { mask, field in
            field.element.required ? mask | (1 << UInt64(field.offset)) : mask
        }
    }

    /// The position of the member whose name is exactly the UTF-8 `name`.
    func index(ofUTF8 name: UnsafeBufferPointer<UInt8>) -> Int? {
        guard name.count < fieldsByNameLength.count else { return nil }
        for candidate in fieldsByNameLength[name.count] where nameBytes[candidate].elementsEqual(name) {
            return candidate
        }
        return nil
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
