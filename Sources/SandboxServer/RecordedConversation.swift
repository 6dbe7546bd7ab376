import SyncCore

/// A conversation as the sandbox accepted it.
public struct RecordedConversation: Sendable, Hashable {
    /// The caller's `externalId`.
    public let externalId: String
    /// The id the sandbox returned for it, stable across updates.
    public let id: String
    /// The latest accepted create-or-update body; `nil` when the recorder keeps counts only.
    public let body: JSONValue?
    /// How many create-or-update requests were accepted for it.
    public let updateCount: Int
    /// Accepted messages in arrival order; empty when the recorder keeps counts only.
    public let messages: [JSONValue]
    /// How many messages were accepted, whether or not their bodies were kept.
    public let messageCount: Int
}
