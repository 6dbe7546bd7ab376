import Mapping
import SyncCore

/// Builds one-stream mapping files around a few field lines and maps rows through them.
struct MappingHarness {
    /// A conversation-metadata stream over `columns` with `fields` (YAML lines, indented by 6).
    static func file(fields: String, timezone: String? = nil, target: String = "conversation-metadata") -> String {
        """
        version: 1
        streams:
          - name: s
            target: \(target)
            source:
              table: t
              watermark: updated_at
              key: id
        \(timezone.map { "      timezone: \($0)\n" } ?? "")    fields:
        \(fields)
        """
    }

    let mapper: RowMapper
    let columns: SourceColumns

    /// A mapper for `fields` over the columns `id`, `updated_at`, `external_id` and `extra`.
    init(fields: String, extra: [String], timezone: String? = nil, target: String = "conversation-metadata",
         environment: [String: String] = [:]) throws {
        let key = target == "agent-metadata" ? "externalAgentId" : "externalConversationId"
        let text = MappingHarness.file(fields: "      \(key): { column: external_id }\n" + fields, timezone: timezone, target: target)
        let mapping = try MappingParser.parse(text, path: "h.yaml", environment: environment)
        columns = SourceColumns(["id", "updated_at", "external_id"] + extra)
        mapper = try RowMapper(stream: mapping.streams[0], columns: columns)
    }

    /// Maps a row whose extra columns hold `values`.
    func map(_ values: [SourceValue], id: Int64 = 1) throws -> RowOutcome {
        try mapper.map(SourceRow(columns: columns, values: [.integer(id), .timestamp(UTCTimestamp(microseconds: 1_700_000_000_000_000)),
                                                            .string("conv-\(id)")] + values))
    }

    /// The item of a mapped row, or `nil` when it was rejected or skipped.
    func item(_ values: [SourceValue]) throws -> JSONObject? {
        if case .item(let encoded) = try map(values) { return encoded.object }
        return nil
    }

    /// The rejection of a mapped row, or `nil`.
    func rejection(_ values: [SourceValue]) throws -> RowRejection? {
        if case .rejected(let r) = try map(values) { return r }
        return nil
    }
}

/// The diagnostics of parsing `text`: the errors and warnings of a refused file, or a parsed file's warnings.
func diagnostics(_ text: String, environment: [String: String] = [:]) -> [MappingDiagnostic] {
    do {
        return try MappingParser.parse(text, path: "test.yaml", environment: environment).warnings
    } catch {
        return error.diagnostics
    }
}
