/// The request bodies of the vendor's API, as data.
///
/// Metadata items follow the Metadata Ingestion OpenAPI text: every optional member is nullable and every
/// string without a documented length is limited to `APILimits.defaultMaxLength` UTF-16 units. The
/// Conversations API documents neither, so its optional members are not nullable (leave them out
/// instead) and its strings have no length limit beyond the documented `minLength` of a message's text.
public enum Schemas {
    /// Members of the platform enumeration; there is deliberately no `OTHER`.
    public static let platforms = [
        "SMS", "WEB", "IOS", "ANDROID", "APP", "LOCAL", "VOICE", "VOICE_IOS", "VOICE_ANDROID", "VOICE_ECHO",
        "VOICE_HOMEPOD", "VOICE_GGLHOME", "VOICE_WEB", "APPLEBIZ", "GOOGLEBIZ", "GBM", "WAB",
    ]
    /// Members of the device-type enumeration.
    public static let deviceTypes = ["TABLET", "PHONE", "DESKTOP", "WATCH", "OTHER"]
    /// Members of the operating-system enumeration.
    public static let operatingSystems = ["MAC_OS", "LINUX", "WINDOWS", "ANDROID", "IOS", "OTHER"]
    /// Roles a message's sender may have.
    public static let senderRoles = ["agent", "customer", "system"]

    /// A metadata string matching the id pattern.
    private static func id(_ name: String, maxLength: Int = APILimits.defaultMaxLength, required: Bool = false,
                           _ summary: String) -> FieldSpec {
        FieldSpec(name, .string(pattern: .id, maxLength: maxLength, minLength: nil), required: required, summary: summary)
    }

    /// A free-text metadata string.
    private static func text(_ name: String, maxLength: Int = APILimits.defaultMaxLength, _ summary: String) -> FieldSpec {
        FieldSpec(name, .string(pattern: nil, maxLength: maxLength, minLength: nil), summary: summary)
    }

    private static let eventId = id("eventId", "An event id used to track the submission; if none is provided, the service generates one")
    private static let attributes = FieldSpec("attributes", .attributes, summary: "Up to 10 name/value pairs for metadata the schema lacks")
    private static let email = FieldSpec("emailAddress", .email(maxLength: APILimits.defaultMaxLength), summary: "E-mail address")

    /// One agent metadata item (`single-agent-metadata` body, `many-agent-metadata` item).
    public static let agent = ObjectSchema(name: "agent metadata item", fields: [
        id("externalAgentId", required: true, "Agent ID from the external system"),
        eventId,
        FieldSpec("startTs", .dateTime, summary: "The agent's start (hire) date"),
        id("lobId", "The line of business id"),
        text("lobName", "The descriptive name of the line of business"),
        id("groupId", "The group id the agent belongs to"),
        text("groupName", "The descriptive name of the group"),
        text("agentName", "The agent's name"),
        text("agentLocation", "The agent's location"),
        id("supervisorId", "The agent's supervisor id"),
        text("supervisorName", "The agent's supervisor name"),
        FieldSpec("languages", .stringArray(itemPattern: .languageTag, itemMaxLength: 16),
                  summary: "Languages the agent speaks, e.g. en-us"),
        FieldSpec("concurrency", .integer, summary: "How many conversations the agent handles at once"),
        id("categoryLabel", "The agent's category label"),
        id("accountAccessLevel", "The agent's account access level"),
        FieldSpec("ranking", .integer, summary: "The agent's ranking"),
        text("vendor", "The vendor the agent works for"),
        id("jobTitle", "The agent's job title"),
        id("jobRole", "The agent's job role"),
        id("workShift", "The agent's work shift"),
        email,
        attributes,
    ])

    /// One conversation metadata item (`single-convo-metadata` body, `many-convo-metadata` item).
    public static let conversation = ObjectSchema(name: "conversation metadata item", fields: [
        id("externalConversationId", required: true, "Conversation ID from the external chat / voice system"),
        eventId,
        id("lobId", "The line of business id"),
        text("lobName", "The descriptive name of the line of business"),
        id("groupId", "The group id the agent belongs to"),
        text("groupName", "The descriptive name of the group"),
        id("agentRoutingCode", "The agent's routing attribute"),
        id("campaign", "The activities related to the issue"),
        FieldSpec("deviceType", .enumeration(deviceTypes), summary: "The client's device type"),
        FieldSpec("platform", .enumeration(platforms), summary: "The client's platform type (no OTHER: leave unknown channels out)"),
        FieldSpec("companySegment", .stringArray(itemPattern: .id, itemMaxLength: 64),
                  summary: "The company's segments the issue belongs to"),
        id("companySubdivision", "The company's subdivision the issue belongs to"),
        text("businessRule", "The business rule to use"),
        id("entryType", "The way the issue started and was created in the system"),
        FieldSpec("operatingSystem", .enumeration(operatingSystems), summary: "The operating system used to enter the issue"),
        id("browserType", maxLength: 64, "The browser type used"),
        FieldSpec("browserVersion", .string(pattern: .browserVersion, maxLength: 16, minLength: nil),
                  summary: "The browser version used"),
        attributes,
    ])

    /// One customer metadata item (`single-customer-metadata` body, `many-customer-metadata` item).
    public static let customer = ObjectSchema(name: "customer metadata item", fields: [
        id("externalConversationId", required: true, "Conversation ID from the external chat / voice system"),
        FieldSpec("externalCustomerId", .string(pattern: .customerId, maxLength: APILimits.defaultMaxLength, minLength: nil),
                  required: true, summary: "Customer ID from the external system"),
        eventId,
        id("status", "The customer's status"),
        FieldSpec("phoneNumber", .string(pattern: .phoneNumber, maxLength: 32, minLength: nil),
                  summary: "The customer's phone number"),
        email,
        id("userId", "The customer's user id"),
        id("addressCountry", maxLength: 128, "The customer's country"),
        id("addressState", maxLength: 128, "The customer's state"),
        id("addressZipcode", maxLength: 16, "The customer's zip code"),
        attributes,
    ])

    private static func many(_ item: ObjectSchema, _ name: String) -> ObjectSchema {
        ObjectSchema(name: name, fields: [
            FieldSpec("items", .objectArray(item, minItems: 1, maxItems: APILimits.maxMetadataItems), required: true,
                      summary: "1 to 1000 items, each ingested or refused on its own"),
        ])
    }

    /// The `many-agent-metadata` body.
    public static let manyAgent = many(agent, "many-agent-metadata request")
    /// The `many-convo-metadata` body.
    public static let manyConversation = many(conversation, "many-convo-metadata request")
    /// The `many-customer-metadata` body.
    public static let manyCustomer = many(customer, "many-customer-metadata request")

    private static func participant(_ name: String, _ role: String) -> ObjectSchema {
        ObjectSchema(name: name, fields: [
            FieldSpec("externalId", .string(pattern: nil, maxLength: nil, minLength: nil), required: true,
                      summary: "The \(role)'s identifier in the external system"),
            FieldSpec("name", .string(pattern: nil, maxLength: nil, minLength: nil), nullable: false,
                      summary: "The \(role)'s display name"),
        ])
    }

    /// The `POST /conversation/v1/conversations` body (create or update by `externalId`).
    public static let conversationCreate = ObjectSchema(name: "conversation", fields: [
        FieldSpec("externalId", .string(pattern: nil, maxLength: nil, minLength: nil), required: true,
                  summary: "The conversation's identifier in the external system; posting it again updates the conversation"),
        FieldSpec("customer", .object(participant("conversation customer", "customer")), required: true,
                  summary: "The customer taking part in the conversation"),
        FieldSpec("agent", .object(participant("conversation agent", "agent")), nullable: false,
                  summary: "The agent taking part in the conversation"),
        FieldSpec("metadata", .stringMap, nullable: false, summary: "Free-form string key/value metadata"),
        FieldSpec("timestamp", .dateTime, required: true, summary: "When the conversation started"),
    ])

    /// A message's sender.
    public static let sender = ObjectSchema(name: "message sender", fields: [
        FieldSpec("role", .enumeration(senderRoles), required: true, summary: "The role of the participant in the conversation"),
        FieldSpec("externalId", .string(pattern: nil, maxLength: nil, minLength: nil), required: true,
                  summary: "The participant's identifier in the external system, consistent across interactions"),
    ])

    /// One message (the `messages` endpoint body and each item of a batch).
    public static let message = ObjectSchema(name: "message", fields: [
        FieldSpec("text", .string(pattern: nil, maxLength: nil, minLength: 1), required: true, summary: "The content of the message"),
        FieldSpec("sender", .object(sender), required: true, summary: "The participant who sent the message"),
        FieldSpec("timestamp", .dateTime, required: true, summary: "When the message was sent"),
    ])

    /// The `messages/batch` body: `{"messages": [message, …]}` with 1 to 300 messages.
    public static let messageBatch = ObjectSchema(name: "message batch", fields: [
        FieldSpec("messages", .objectArray(message, minItems: 1, maxItems: APILimits.maxMessagesPerBatch), required: true,
                  summary: "1 to 300 messages to add to the conversation"),
    ])
}
