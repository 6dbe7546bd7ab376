/// Every operation of the vendor's API the connector uses.
public enum Endpoint: String, CaseIterable, Sendable {
    /// `POST /metadata-ingestion/v1/single-agent-metadata`: one agent metadata item.
    case singleAgentMetadata = "single-agent-metadata"
    /// `POST /metadata-ingestion/v1/many-agent-metadata`: 1 to 1000 agent metadata items.
    case manyAgentMetadata = "many-agent-metadata"
    /// `POST /metadata-ingestion/v1/single-convo-metadata`: one conversation metadata item.
    case singleConvoMetadata = "single-convo-metadata"
    /// `POST /metadata-ingestion/v1/many-convo-metadata`: 1 to 1000 conversation metadata items.
    case manyConvoMetadata = "many-convo-metadata"
    /// `POST /metadata-ingestion/v1/single-customer-metadata`: one customer metadata item.
    case singleCustomerMetadata = "single-customer-metadata"
    /// `POST /metadata-ingestion/v1/many-customer-metadata`: 1 to 1000 customer metadata items.
    case manyCustomerMetadata = "many-customer-metadata"
    /// `POST /conversation/v1/conversations`: create or update a conversation by `externalId`.
    case createConversation
    /// `POST /conversation/v1/conversations/{conversationId}/messages`: one message.
    case createMessage
    /// `POST /conversation/v1/conversations/{conversationId}/messages/batch`: 1 to 300 messages.
    case createMessageBatch
    /// `GET /v1/health`.
    case health

    /// The HTTP method: `GET` for `health`, `POST` for everything else.
    public var method: String {
        self == .health ? "GET" : "POST"
    }

    /// The path, with `{conversationId}` where the conversation's id goes.
    public var pathTemplate: String {
        switch self {
        case .singleAgentMetadata, .manyAgentMetadata, .singleConvoMetadata, .manyConvoMetadata,
             .singleCustomerMetadata, .manyCustomerMetadata:
            return "/metadata-ingestion/v1/" + rawValue
        case .createConversation: return "/conversation/v1/conversations"
        case .createMessage: return "/conversation/v1/conversations/{conversationId}/messages"
        case .createMessageBatch: return "/conversation/v1/conversations/{conversationId}/messages/batch"
        case .health: return "/v1/health"
        }
    }

    /// The path with `conversationId` substituted; `conversationId` is ignored by endpoints without one.
    /// The caller passes an id the API returned, which matches `CharacterPattern.conversationId` and so
    /// needs no percent-encoding.
    public func path(conversationId: String? = nil) -> String {
        guard let conversationId, hasConversationId,
              let open = pathTemplate.utf8.firstIndex(of: UInt8(ascii: "{")),
              let close = pathTemplate.utf8.firstIndex(of: UInt8(ascii: "}")) else { return pathTemplate }
        // Two byte scans and one concatenation: this runs for every message batch, and both Foundation's
        // replacing and the standard library's split on a substring showed in the profile.
        return pathTemplate[..<open] + conversationId + pathTemplate[pathTemplate.utf8.index(after: close)...]
    }

    /// Whether the path carries a `{conversationId}`.
    public var hasConversationId: Bool {
        self == .createMessage || self == .createMessageBatch
    }

    /// Whether requests need the `asapp-api-id` / `asapp-api-secret` headers (all but `health`).
    public var requiresCredentials: Bool { self != .health }

    /// The metadata entity this endpoint ingests, if any.
    public var metadataEntity: MetadataEntity? {
        switch self {
        case .singleAgentMetadata, .manyAgentMetadata: return .agent
        case .singleConvoMetadata, .manyConvoMetadata: return .convo
        case .singleCustomerMetadata, .manyCustomerMetadata: return .customer
        default: return nil
        }
    }

    /// Whether this is one of the `many-*-metadata` batch endpoints.
    public var isManyMetadata: Bool {
        self == .manyAgentMetadata || self == .manyConvoMetadata || self == .manyCustomerMetadata
    }

    /// The schema of the request body; `nil` for `health`, which has none.
    public var requestSchema: ObjectSchema? {
        switch self {
        case .singleAgentMetadata: return Schemas.agent
        case .singleConvoMetadata: return Schemas.conversation
        case .singleCustomerMetadata: return Schemas.customer
        case .manyAgentMetadata: return Schemas.manyAgent
        case .manyConvoMetadata: return Schemas.manyConversation
        case .manyCustomerMetadata: return Schemas.manyCustomer
        case .createConversation: return Schemas.conversationCreate
        case .createMessage: return Schemas.message
        case .createMessageBatch: return Schemas.messageBatch
        case .health: return nil
        }
    }
}

extension String {
    // Foundation-free replacement, enough for substituting a path template's placeholder.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
