import APIContract
import Testing

@Suite("Endpoints and schemas")
struct EndpointTests {
    @Test("paths and methods")
    func paths() {
        #expect(Endpoint.manyConvoMetadata.pathTemplate == "/metadata-ingestion/v1/many-convo-metadata")
        #expect(Endpoint.singleAgentMetadata.method == "POST")
        #expect(Endpoint.createConversation.pathTemplate == "/conversation/v1/conversations")
        #expect(Endpoint.createMessageBatch.pathTemplate == "/conversation/v1/conversations/{conversationId}/messages/batch")
        #expect(Endpoint.createMessageBatch.path(conversationId: "01ABC") == "/conversation/v1/conversations/01ABC/messages/batch")
        #expect(Endpoint.createMessage.path(conversationId: "XYZ") == "/conversation/v1/conversations/XYZ/messages")
        #expect(Endpoint.health.method == "GET")
        #expect(Endpoint.health.path() == "/v1/health")
        #expect(!Endpoint.health.requiresCredentials)
        #expect(Endpoint.allCases.count == 10)
    }

    @Test("metadata entities tie schemas, endpoints and key fields together")
    func entities() {
        #expect(MetadataEntity.agent.keyField == "externalAgentId")
        #expect(MetadataEntity.convo.keyField == "externalConversationId")
        #expect(MetadataEntity.customer.keyField == "externalCustomerId")
        for entity in MetadataEntity.allCases {
            #expect(entity.single.metadataEntity == entity)
            #expect(entity.many.metadataEntity == entity)
            #expect(entity.many.isManyMetadata)
            #expect(!entity.single.isManyMetadata)
            #expect(entity.itemSchema.field(named: entity.keyField)?.required == true)
            #expect(entity.itemSchema.field(named: "attributes") != nil)
            // Every optional metadata field is nullable; required ones are not.
            for field in entity.itemSchema.fields {
                #expect(field.nullable == !field.required, "\(field.name)")
                #expect(!field.summary.isEmpty)
            }
        }
        #expect(Schemas.customer.requiredFields.map(\.name) == ["externalConversationId", "externalCustomerId"])
        #expect(Schemas.conversation.field(named: "externlConversationId") == nil)
    }

    @Test("platform has no OTHER; deviceType and operatingSystem do")
    func enumerations() {
        guard case .enumeration(let platforms)? = Schemas.conversation.field(named: "platform")?.type,
              case .enumeration(let devices)? = Schemas.conversation.field(named: "deviceType")?.type,
              case .enumeration(let systems)? = Schemas.conversation.field(named: "operatingSystem")?.type else {
            Issue.record("expected enumerations")
            return
        }
        #expect(platforms.count == 17)
        #expect(!platforms.contains("OTHER"))
        #expect(devices.contains("OTHER"))
        #expect(systems.contains("OTHER"))
    }

    @Test("request schemas of the conversation endpoints")
    func conversationSchemas() {
        #expect(Schemas.conversationCreate.requiredFields.map(\.name) == ["externalId", "customer", "timestamp"])
        #expect(Schemas.message.requiredFields.map(\.name) == ["text", "sender", "timestamp"])
        #expect(Endpoint.createMessageBatch.requestSchema?.fieldNames == ["messages"])
        #expect(Endpoint.health.requestSchema == nil)
        #expect(APIErrorCode.status(of: APIErrorCode.badTimestamp) == 400)
        #expect(APIErrorCode.status(of: APIErrorCode.bodyTooLarge) == 413)
    }
}
