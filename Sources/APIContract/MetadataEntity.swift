/// The three kinds of thing the Metadata Ingestion API describes.
public enum MetadataEntity: String, CaseIterable, Sendable {
    /// An agent (`*-agent-metadata`).
    case agent
    /// A conversation (`*-convo-metadata`).
    case convo
    /// A customer (`*-customer-metadata`).
    case customer

    /// The schema of one item.
    public var itemSchema: ObjectSchema {
        switch self {
        case .agent: return Schemas.agent
        case .convo: return Schemas.conversation
        case .customer: return Schemas.customer
        }
    }

    /// The schema of a `many-*` body: `{"items": [item, …]}` with 1 to `APILimits.maxMetadataItems` items.
    public var manySchema: ObjectSchema {
        switch self {
        case .agent: return Schemas.manyAgent
        case .convo: return Schemas.manyConversation
        case .customer: return Schemas.manyCustomer
        }
    }

    /// The endpoint for one item.
    public var single: Endpoint {
        switch self {
        case .agent: return .singleAgentMetadata
        case .convo: return .singleConvoMetadata
        case .customer: return .singleCustomerMetadata
        }
    }

    /// The endpoint for a batch of items.
    public var many: Endpoint {
        switch self {
        case .agent: return .manyAgentMetadata
        case .convo: return .manyConvoMetadata
        case .customer: return .manyCustomerMetadata
        }
    }

    /// The member that identifies the described entity: `externalAgentId`, `externalConversationId`,
    /// `externalCustomerId`.
    public var keyField: String {
        switch self {
        case .agent: return "externalAgentId"
        case .convo: return "externalConversationId"
        case .customer: return "externalCustomerId"
        }
    }
}
