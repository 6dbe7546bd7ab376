@testable import Loader
import SyncCore
import Testing
import TestSupport

@Suite("A batch's answer read from its bytes")
struct BatchAnswerTests {
    static func walk(_ text: String) -> [BatchAnswer.Result]? {
        Array(text.utf8).withUnsafeBufferPointer(BatchAnswer.results(in:))
    }

    /// What the tree reading makes of the same text: each result's `eventId` and `error` strings.
    static func tree(_ text: String) -> [BatchAnswer.Result]? {
        guard let results = (try? JSONParser.parse(text))?["results"]?.arrayValue else { return nil }
        return results.map { BatchAnswer.Result(eventID: $0["eventId"]?.stringValue, error: $0["error"]?.stringValue) }
    }

    @Test("reads each result's eventId and error, whatever else the answer holds")
    func results() throws {
        let text = #"""
             { "errorCount" : 1, "meta": {"page": [1, 2.5e3, -0, true, false, null, {"x": "y"}]},
               "results": [ {"eventId": "e-1", "error": ""},
                            {"error": "FAIL_BAD_PARAMS: ERROR: agent id cannot be blank", "eventId": "e\u002D2", "extra": {"a": [1]}},
                            {"eventId": null, "error": null}, {"eventId": 7, "error": {"code": 1}}, {} ] }
            """#
        let walked = try #require(Self.walk(text))
        #expect(walked == [
            .init(eventID: "e-1", error: ""),
            .init(eventID: "e-2", error: "FAIL_BAD_PARAMS: ERROR: agent id cannot be blank"),
            .init(eventID: nil, error: nil), .init(eventID: nil, error: nil), .init(eventID: nil, error: nil),
        ])
        #expect(walked == Self.tree(text))
        #expect(Self.walk(#"{"results":[]}"#) == [])
    }

    @Test("refuses what the parser refuses, and answers of another shape",
          arguments: [
              "", "   ", "[]", #"{"errorCount":0}"#, #"{"results":{}}"#, #"{"results":[1]}"#, #"{"results":["x"]}"#,
              #"{"results":[],"results":[]}"#, #"{"results":[{"error":"","error":""}]}"#,
              #"{"results":[{"x":1,"x":2}]}"#, #"{"a":{"b":1,"b":2},"results":[]}"#,
              #"{"results":[]} x"#, #"{"results":[],}"#, #"{"results":[{},]}"#, #"{"results":[{"error":"\x"}]}"#,
              #"{"results":[{"error":"unterminated}]}"#, #"{"n":01,"results":[]}"#, #"{"n":tru,"results":[]}"#,
              "\u{FEFF}{\"results\":[]}", #"{"results":[{"error":"\ud800"}]}"#, #"{'results':[]}"#,
          ])
    func refused(text: String) {
        #expect(Self.walk(text) == nil, "\(text)")
    }

    @Test("agrees with the tree reading on generated answers")
    func agreesWithTree() throws {
        var random = SeededRandom(seed: 20261202)
        func string() -> JSONValue {
            let pieces = ["a", "é", "\"", "\\", "\n", "😀", "FAIL_BAD_PARAMS: x", " ", "/", "\u{1}"]
            return .string((0..<random.below(6)).map { _ in pieces[random.below(pieces.count)] }.joined())
        }
        func other(_ depth: Int) -> JSONValue {
            switch random.below(depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(random.chance(0.5))
            case 2: return .int(Int64(random.below(2000)) - 1000)
            case 3: return string()
            case 4: return .array((0..<random.below(3)).map { _ in other(depth + 1) })
            default:
                var object = JSONObject()
                for n in 0..<random.below(3) { object["k\(n)"] = other(depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<300 {
            var results: [JSONValue] = []
            for _ in 0..<random.below(20) {
                var result = JSONObject()
                if random.chance(0.9) { result["eventId"] = random.chance(0.9) ? string() : other(1) }
                if random.chance(0.9) { result["error"] = random.chance(0.8) ? string() : other(1) }
                if random.chance(0.2) { result["extra"] = other(1) }
                results.append(.object(result))
            }
            var answer = JSONObject()
            if random.chance(0.5) { answer["errorCount"] = .int(Int64(random.below(5))) }
            answer["results"] = .array(results)
            if random.chance(0.3) { answer["other"] = other(0) }
            let text = JSONValue.object(answer).jsonString
            let walked = try #require(Self.walk(text), "\(text)")
            #expect(walked == Self.tree(text), "\(text)")
        }
    }
}
