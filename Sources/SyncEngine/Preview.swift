import Checkpoints
import Extractor
public import Mapping
import Postgres
public import SyncCore

/// What a stream would send for its next rows, computed without sending or writing anything.
public enum Preview {
    /// One row and what the mapping makes of it.
    public struct Row: Sendable {
        public enum Verdict: Sendable {
            /// The item, byte for byte as it would be sent.
            case item(EncodedJSON)
            case rejected(RowRejection)
            case skipped(RowRejection)
        }

        public var key: String
        public var watermark: String?
        public var verdict: Verdict
    }

    /// Which rows of a transcripts stream to show.
    public enum Part: Sendable {
        /// Metadata items, or the conversations of a transcripts stream.
        case main
        /// The messages of a transcripts stream.
        case messages
    }

    /// Maps up to `limit` rows of `streamName` after its checkpoint (from the start with `fromStart`, or
    /// when the state schema does not exist: it is not created).
    public static func run(mapping: MappingFile, stream streamName: String, part: Part, limit: Int, fromStart: Bool,
                           configuration: SyncConfiguration) async throws -> [Row] {
        guard let stream = mapping.stream(named: streamName) else {
            throw SyncError(code: .unknownStream,
                            message: "stream '\(streamName)' is not in \(mapping.path); streams: \(mapping.streams.map(\.name).joined(separator: ", "))")
        }
        let section: MappingSection
        let checkpoint: String
        switch (stream.target, part) {
        case (.metadata, .main): (section, checkpoint) = (stream.main, stream.name)
        case (.transcripts, .main): (section, checkpoint) = (stream.main, "\(stream.name):conversations")
        case (.transcripts, .messages): (section, checkpoint) = (stream.messages!.section, "\(stream.name):messages")
        case (.metadata, .messages):
            throw SyncError(code: .unsupported, message: "stream '\(streamName)' has no messages; it is \(stream.target.fileName)")
        }
        let source = try await PostgresConnection.connect(configuration.source)
        do {
            var position: SyncPosition?
            if !fromStart {
                let state = configuration.state == nil ? source : try await PostgresConnection.connect(configuration.state!)
                position = try await existingPosition(checkpoint, schema: configuration.stateSchema, on: state)
                if configuration.state != nil { await state.close() }
            }
            let extractor = WatermarkExtractor(connection: source, query: WatermarkQuery(
                relationSQL: section.source.relationSQL, watermark: section.source.watermark, key: section.source.key), pageSize: limit)
            var rows: [Row] = []
            if let bound = try await extractor.upperBound() {
                let page = try await extractor.page(after: position, upTo: bound)
                if let first = page.rows.first {
                    let mapper = try RowMapper(section: section, streamName: stream.name, columns: first.columns)
                    for row in page.rows {
                        let verdict: Row.Verdict = switch try mapper.map(row) {
                        case .item(let item): .item(item)
                        case .rejected(let r): .rejected(r)
                        case .skipped(let r): .skipped(r)
                        }
                        rows.append(Row(key: mapper.key(of: row), watermark: mapper.watermark(of: row).sqlText, verdict: verdict))
                    }
                }
            }
            await source.close()
            return rows
        } catch {
            await source.close()
            throw error
        }
    }

    /// The checkpoint's position when the state schema exists; never creates it.
    static func existingPosition(_ checkpoint: String, schema: String, on connection: PostgresConnection) async throws -> SyncPosition? {
        guard CheckpointStore.isValidSchemaName(schema) else { return nil }
        let exists = try await connection.query("SELECT to_regclass($1) IS NOT NULL", [PostgresBind("\"\(schema)\".checkpoints")])
        guard try exists[0].decode(Bool.self, at: 0) else { return nil }
        let rows = try await connection.query("SELECT watermark, key FROM \"\(schema)\".checkpoints WHERE stream = $1", [PostgresBind(checkpoint)])
        guard let row = rows.first, let w = try row.decode(String?.self, column: "watermark"), let k = try row.decode(String?.self, column: "key")
        else { return nil }
        return SyncPosition(watermark: w, key: k)
    }
}
