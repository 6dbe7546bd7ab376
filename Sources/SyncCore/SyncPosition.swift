/// Where a stream stands: the watermark and key of the last row whose delivery was acknowledged.
///
/// Both are kept in their columns' text forms, which PostgreSQL parses back to the same values, so
/// comparisons in the watermark query happen in the columns' own types.
public struct SyncPosition: Sendable, Hashable, CustomStringConvertible {
    public var watermark: String
    public var key: String

    /// The position after the row with `watermark` and `key`.
    public init(watermark: String, key: String) {
        self.watermark = watermark
        self.key = key
    }

    public var description: String { "(\(watermark), \(key))" }
}
