import Foundation
@testable import Mapping
import SyncCore
import Testing

@Suite("Example mapping files and the mapping file's JSON Schema")
struct MappingExamplesTests {
    static let mappings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("mappings")

    static var exampleFiles: [URL] {
        let examples = (try? FileManager.default.contentsOfDirectory(at: mappings.appendingPathComponent("examples"),
                                                                     includingPropertiesForKeys: nil)) ?? []
        return [mappings.appendingPathComponent("demo.yaml")] + examples.filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
    }

    static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    func schema() throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: Self.mappings.appendingPathComponent("asapp-sync-mapping.schema.json"))))
    }

    /// The member names a schema object allows under `properties`.
    func allowed(_ object: JSONValue?) -> Set<String> {
        Set(object?["properties"]?.objectValue?.keys ?? [])
    }

    @Test func thereAreExamplesBesidesTheDemo() {
        #expect(Self.exampleFiles.count >= 3)
    }

    @Test(arguments: exampleFiles)
    func everyExampleIsValidWithoutWarnings(_ url: URL) throws {
        let file = try MappingParser.parse(try Self.text(url), path: url.lastPathComponent)
        #expect(file.warnings.isEmpty, "\(file.warnings)")
        #expect(!file.streams.isEmpty)
    }

    @Test func theDemoKeepsItsFourStreams() throws {
        let file = try MappingParser.parse(try Self.text(Self.mappings.appendingPathComponent("demo.yaml")), path: "demo.yaml")
        #expect(file.streams.map(\.name) == ["conversation-metadata", "agent-metadata", "customer-metadata", "transcripts"])
        #expect(Set(file.streams.map(\.target)) == Set(MappingTarget.all))
    }

    @Test(arguments: exampleFiles)
    func everyExampleReferencesTheSchema(_ url: URL) throws {
        let first = try Self.text(url).split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("# yaml-language-server: $schema="))
        #expect(first.hasSuffix("asapp-sync-mapping.schema.json"))
    }

    @Test func theSchemaIsJSONOfADraftEditorsKnow() throws {
        let schema = try schema()
        #expect(schema["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(allowed(schema) == ["version", "streams"])
        let defs = try #require(schema["$defs"]?.objectValue)
        for name in ["stream", "source", "field", "expression", "step", "attributes", "whenClause"] {
            #expect(defs[name] != nil, "missing $defs.\(name)")
        }
        // Every `$ref` points at a definition that exists.
        func refs(_ value: JSONValue) -> [String] {
            switch value {
            case .object(let object):
                object.flatMap { key, member in key == "$ref" ? [member.stringValue ?? ""] : refs(member) }
            case .array(let items): items.flatMap(refs)
            default: []
            }
        }
        for ref in refs(schema) {
            #expect(ref.hasPrefix("#/$defs/") && defs[String(ref.dropFirst(8))] != nil, "dangling \(ref)")
        }
    }

    @Test func theSchemaKnowsEveryTransformAndEveryKeyTheParserTakes() throws {
        let defs = try #require(try schema()["$defs"]?.objectValue)
        let stepChoices = try #require(defs["step"]?["oneOf"]?.arrayValue)
        var steps = Set<String>()
        for choice in stepChoices {
            if let names = choice["enum"]?.arrayValue { steps.formUnion(names.compactMap(\.stringValue)) }
            steps.formUnion(allowed(choice).subtracting(["zone"]))
        }
        #expect(steps == Set(TransformStep.names))
    }

    /// A light check of the examples' own text: their top-level keys and their streams' keys are ones the
    /// schema lists (the examples are block-style YAML with two-space indents).
    @Test(arguments: exampleFiles)
    func everyExampleUsesOnlyKeysTheSchemaAllows(_ url: URL) throws {
        let schema = try schema()
        var top = Set<String>()
        var stream = Set<String>()
        for line in try Self.text(url).split(separator: "\n") where !line.hasPrefix("#") {
            let key = { (s: Substring) in String(s.prefix { $0 != ":" }) }
            if line.first?.isLetter == true { top.insert(key(line)) }
            if line.hasPrefix("  - ") { stream.insert(key(line.dropFirst(4))) }
            if line.hasPrefix("    "), line.dropFirst(4).first?.isLetter == true { stream.insert(key(line.dropFirst(4))) }
        }
        #expect(top == allowed(schema))
        let streamKeys = allowed(schema["$defs"]?["stream"])
        #expect(stream.isSubset(of: streamKeys), "not in the schema: \(stream.subtracting(streamKeys))")
    }

    /// Every key the parser accepts is one the schema offers, and the other way round, so a file the parser
    /// accepts also passes the editor's check.
    @Test func theSchemaAndTheParserAgreeOnEveryKey() throws {
        let defs = try #require(try schema()["$defs"]?.objectValue)
        #expect(allowed(defs["stream"]) == Set(Checker.streamKeys))
        #expect(allowed(defs["source"]) == Set(Checker.sourceKeys))
        #expect(allowed(defs["messagesSource"]) == Set(Checker.messageSourceKeys))
        #expect(allowed(defs["section"]) == Set(Checker.sectionKeys))
        #expect(allowed(defs["messagesSection"]) == Set(Checker.sectionKeys))
        #expect(allowed(defs["field"]) == Set(Checker.fieldKeys))
        #expect(allowed(defs["expression"]) == Set(Checker.expressionKeys))
        #expect(allowed(defs["attributes"]) == Set(Checker.attributesKeys))
        #expect(allowed(defs["whenClause"]) == Set(["column", "then"] + Checker.whenTests))
        #expect(allowed(defs["expression"]?["properties"]?["json"]) == ["column", "path"])
    }
}
