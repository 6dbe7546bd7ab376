/// What a field's value must be.
public indirect enum FieldType: Sendable {
    /// A string; `pattern` applies to the whole value, lengths count UTF-16 code units.
    case string(pattern: CharacterPattern?, maxLength: Int?, minLength: Int?)
    /// A string that must be exactly one of the listed values (case-sensitive).
    case enumeration([String])
    /// An array of strings, each matching `itemPattern` and at most `itemMaxLength` UTF-16 units.
    case stringArray(itemPattern: CharacterPattern?, itemMaxLength: Int?)
    /// A JSON integer that fits a signed 64-bit integer (`3.0` is not an integer).
    case integer
    /// A UTC timestamp string accepted by `ContractValidator.validateTimestamp(_:)`.
    case dateTime
    /// An e-mail address (`local@domain.tld`, no spaces) of at most `maxLength` UTF-16 units.
    case email(maxLength: Int?)
    /// The metadata `attributes` array: at most `APILimits.maxAttributes` objects of exactly
    /// `name` (string, max 256) and `value` (string, max 1024).
    case attributes
    /// A nested object with its own schema.
    case object(ObjectSchema)
    /// An object whose members all have string values (keys are free).
    case stringMap
    /// An array of `minItems` to `maxItems` objects, each with `schema`.
    case objectArray(ObjectSchema, minItems: Int, maxItems: Int)
}

extension FieldType {
    /// A short name of the type for diagnostics, e.g. `string`, `date-time`, `array of message`.
    public var displayName: String {
        switch self {
        case .string: return "string"
        case .enumeration: return "string (enumeration)"
        case .stringArray: return "array of strings"
        case .integer: return "integer"
        case .dateTime: return "date-time string"
        case .email: return "e-mail string"
        case .attributes: return "array of {name, value}"
        case .object(let schema): return "object (\(schema.name))"
        case .stringMap: return "object of strings"
        case .objectArray(let schema, _, _): return "array of \(schema.name)"
        }
    }
}
