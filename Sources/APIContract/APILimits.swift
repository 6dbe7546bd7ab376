/// Size limits the API enforces.
public enum APILimits {
    /// Items in one `many-*-metadata` request: 1000.
    public static let maxMetadataItems = 1000
    /// Messages in one `messages/batch` request: 300.
    public static let maxMessagesPerBatch = 300
    /// Entries in a metadata item's `attributes`: 10.
    public static let maxAttributes = 10
    /// UTF-16 length of a metadata string when the documentation gives no other: 256.
    public static let defaultMaxLength = 256
    /// UTF-16 length of an attribute's `name`: 256.
    public static let maxAttributeNameLength = 256
    /// UTF-16 length of an attribute's `value`: 1024.
    public static let maxAttributeValueLength = 1024
}
