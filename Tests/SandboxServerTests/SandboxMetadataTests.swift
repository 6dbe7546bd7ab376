import Foundation
import APIContract
import SyncCore
import Testing

@Suite("Sandbox metadata ingestion")
struct SandboxMetadataTests {
    static let manyConvo = "/metadata-ingestion/v1/many-convo-metadata"

    @Test("partial success: 200 with one result per item, errors naming the item path")
    func partialSuccess() async throws {
        try await SandboxHarness.with { harness in
            let body = Payloads.items([
                Payloads.convoItem("issue1389", eventId: "eventId-1388", platform: "IOS"),
                Payloads.convoItem("issue1390", platform: "OTHER"),
                #"{"externlConversationId":"issue1391","eventId":"eventId-1268"}"#,
            ])
            let reply = try await harness.send(.POST, Self.manyConvo, body: body)
            #expect(reply.status == 200)
            #expect(reply.json["errorCount"] == .int(2))
            let results = reply.json["results"]?.arrayValue ?? []
            #expect(results.count == 3)
            #expect(results.first?["eventId"] == .string("eventId-1388"))
            #expect(results.first?["error"] == .string(""))
            let second = results[1]["error"]?.stringValue ?? ""
            #expect(second.hasPrefix("FAIL_BAD_PARAMS: ERROR: items[1].platform: value is not one of"))
            // Generated event ids look like UUIDs.
            #expect(results[1]["eventId"]?.stringValue?.count == 36)
            let third = results[2]["error"]?.stringValue ?? ""
            #expect(third.contains("items[2].externlConversationId"))
            #expect(results[2]["eventId"] == .string("eventId-1268"))
            let accepted = harness.sandbox.recorder.acceptedItems(.convo)
            #expect(accepted.count == 1)
            #expect(accepted.first?["externalConversationId"] == .string("issue1389"))
        }
    }

    @Test("a conforming batch gets one answer, whether its scan vouches for it or the full check does", arguments: [true, false])
    func conformingBatchAnswer(recordBodies: Bool) async throws {
        try await SandboxHarness.with({ $0.recordBodies = recordBodies }) { harness in
            let items = [Payloads.convoItem("c-1", eventId: "e-1", platform: "IOS"), Payloads.convoItem("c-2", eventId: "e-2")]
            let scanned = try await harness.send(.POST, Self.manyConvo, body: Payloads.items(items))
            // A member name written with an escape conforms too, but only the full check decides it.
            let escaped = Payloads.items(items.map { $0.replacingOccurrences(of: "\"platform\"", with: "\"pl\\u0061tform\"") })
            #expect(escaped.contains("\\u0061"))
            let checked = try await harness.send(.POST, Self.manyConvo, body: escaped)
            #expect(scanned.status == 200)
            #expect(scanned.bytes == checked.bytes, "\(String(decoding: scanned.bytes, as: UTF8.self))")
            #expect(scanned.json["results"]?.arrayValue?.compactMap { $0["eventId"]?.stringValue } == ["e-1", "e-2"])
            #expect(scanned.bytes == scanned.json.jsonBytes)
            let recorder = harness.sandbox.recorder
            #expect(recorder.acceptedItemCount(.convo) == 4)
            #expect(recorder.acceptedItems(.convo).map { $0["externalConversationId"]?.stringValue } == (recordBodies ? ["c-1", "c-2", "c-1", "c-2"] : []))
            #expect(recorder.acceptedItems(.convo).first?["platform"] == (recordBodies ? .string("IOS") : nil))

            // An item that sends no eventId gets a new one, as on the full path.
            let generated = try await harness.send(.POST, Self.manyConvo, body: Payloads.items([Payloads.convoItem("c-3")]))
            #expect(generated.json["errorCount"] == .int(0))
            #expect(generated.json["results"]?.arrayValue?.first?["eventId"]?.stringValue?.count == 36)
            #expect(recorder.acceptedItemCount(.convo) == 5)
        }
    }

    @Test("when every item fails: 400 with the same shape")
    func allFail() async throws {
        try await SandboxHarness.with { harness in
            let body = Payloads.items([Payloads.convoItem("bad id"), Payloads.convoItem("x", platform: "OTHER")])
            let reply = try await harness.send(.POST, Self.manyConvo, body: body)
            #expect(reply.status == 400)
            #expect(reply.json["errorCount"] == .int(2))
            #expect(reply.json["results"]?.arrayValue?.count == 2)
            #expect(reply.json["error"] == nil)
            #expect(harness.sandbox.recorder.acceptedItemCount(.convo) == 0)
        }
    }

    @Test("1000 items accepted; 1001 and 0 refused as a whole, naming items")
    func itemLimits() async throws {
        try await SandboxHarness.with { harness in
            let thousand = Payloads.items((0..<1000).map { Payloads.convoItem("c-\($0)") })
            let ok = try await harness.send(.POST, Self.manyConvo, body: thousand)
            #expect(ok.status == 200)
            #expect(ok.json["errorCount"] == .int(0))
            #expect(ok.json["results"]?.arrayValue?.count == 1000)

            let tooMany = Payloads.items((0..<1001).map { Payloads.convoItem("c-\($0)") })
            let refused = try await harness.send(.POST, Self.manyConvo, body: tooMany)
            #expect(refused.status == 400)
            #expect(refused.errorCode == "400-06")
            #expect(refused.errorMessage?.hasPrefix("items:") == true)

            let empty = try await harness.send(.POST, Self.manyConvo, body: #"{"items":[]}"#)
            #expect(empty.status == 400)
            #expect(empty.errorCode == "400-06")

            let missing = try await harness.send(.POST, Self.manyConvo, body: #"{"records":[]}"#)
            #expect(missing.status == 400)
            #expect(missing.errorCode == "400-04")
            #expect(harness.sandbox.recorder.acceptedItemCount(.convo) == 1000)
        }
    }

    @Test("single item: 200 with result, 400 with the error filled; unknown fields refused")
    func single() async throws {
        try await SandboxHarness.with { harness in
            let path = "/metadata-ingestion/v1/single-customer-metadata"
            let good = #"{"externalConversationId":"c-1","externalCustomerId":"jane@example.com","phoneNumber":"+1(555)123","eventId":"ev-1"}"#
            let ok = try await harness.send(.POST, path, body: good)
            #expect(ok.status == 200)
            #expect(ok.json["result"]?["eventId"] == .string("ev-1"))
            #expect(ok.json["result"]?["error"] == .string(""))

            let unknown = #"{"externalConversationId":"c-1","externalCustomerId":"x","favouriteColour":"blue"}"#
            let refused = try await harness.send(.POST, path, body: unknown)
            #expect(refused.status == 400)
            let error = refused.json["result"]?["error"]?.stringValue ?? ""
            #expect(error.hasPrefix("FAIL_BAD_PARAMS: ERROR: favouriteColour: unknown field"))
            #expect(harness.sandbox.recorder.acceptedItems(.customer).count == 1)
        }
    }

    @Test("date-times: accepted forms pass, others refused naming the path")
    func timestamps() async throws {
        try await SandboxHarness.with { harness in
            let path = "/metadata-ingestion/v1/single-agent-metadata"
            for good in ["2021-11-23T12:13:14Z", "2021-11-23T12:13:14.5Z", "2021-11-23T12:13:14.123456789012Z"] {
                let reply = try await harness.send(.POST, path, body: #"{"externalAgentId":"a","startTs":"\#(good)"}"#)
                #expect(reply.status == 200, "\(good)")
            }
            for bad in ["2021-11-23T12:13:14+00:00", "2021-11-23 12:13:14Z", "2021-02-30T00:00:00Z", "2021-11-23T12:13:14.1234567890123Z"] {
                let reply = try await harness.send(.POST, path, body: #"{"externalAgentId":"a","startTs":"\#(bad)"}"#)
                #expect(reply.status == 400, "\(bad)")
                #expect(reply.json["result"]?["error"]?.stringValue?.contains("startTs: expected a UTC date-time") == true)
            }
        }
    }

    @Test("malformed JSON, wrong content type, non-object bodies and unknown paths are refused")
    func malformed() async throws {
        try await SandboxHarness.with { harness in
            let broken = try await harness.send(.POST, Self.manyConvo, body: #"{"items":[{"externalConversationId":"a",}]}"#)
            #expect(broken.status == 400)
            #expect(broken.errorCode == "400-01")
            #expect(broken.errorMessage?.contains("column") == true)

            let text = try await harness.send(.POST, Self.manyConvo, body: Payloads.items([Payloads.convoItem("a")]), contentType: "text/plain")
            #expect(text.errorCode == "400-08")
            let withCharset = try await harness.send(.POST, Self.manyConvo, body: Payloads.items([Payloads.convoItem("a")]),
                                                     contentType: "application/json; charset=utf-8")
            #expect(withCharset.status == 200)
            let capitals = try await harness.send(.POST, Self.manyConvo, body: Payloads.items([Payloads.convoItem("a")]),
                                                  contentType: " Application/JSON ;charset=utf-8")
            #expect(capitals.status == 200)
            let longer = try await harness.send(.POST, Self.manyConvo, body: Payloads.items([Payloads.convoItem("a")]),
                                                contentType: "application/jsonx")
            #expect(longer.errorCode == "400-08")

            let array = try await harness.send(.POST, Self.manyConvo, body: "[]")
            #expect(array.errorCode == "400-01")

            let unknown = try await harness.send(.POST, "/metadata-ingestion/v1/many-vendor-metadata", body: "{}")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "404-02")

            let wrongMethod = try await harness.send(.GET, Self.manyConvo, contentType: nil)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.errorCode == "405-01")
        }
    }
}
