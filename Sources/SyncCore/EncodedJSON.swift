/// A JSON value already written as compact UTF-8 text, ready to be copied into a request body.
///
/// Items travel from the mapper to the wire in this form: written once, copied into their request's
/// envelope, never rebuilt as a tree. The tree (`value`) is parsed back only where a person or a rare
/// path needs it (a payload kept with a reject, a preview, a test).
public struct EncodedJSON: Sendable, Hashable {
    /// The compact JSON text.
    public let bytes: [UInt8]

    /// Wraps `bytes`, which the caller guarantees to be one well-formed, compact JSON value.
    public init(uncheckedBytes bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The compact text of `value`.
    public init(_ value: JSONValue) {
        self.bytes = value.jsonBytes
    }

    /// The compact text of `object`.
    public init(_ object: JSONObject) {
        self.init(.object(object))
    }

    /// The value parsed back; `nil` only if the bytes were not JSON, which `init(uncheckedBytes:)` rules out.
    public var value: JSONValue? { try? JSONParser.parse(bytes) }

    /// The value parsed back as an object; an empty object when it is not one.
    public var object: JSONObject { value?.objectValue ?? JSONObject() }

    /// The top-level member `key` of an object, parsed back.
    public subscript(key: String) -> JSONValue? { object[key] }

    /// The compact text as a string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
