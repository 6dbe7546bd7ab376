public import Checkpoints
import Extractor
public import Mapping
import Postgres
import SyncCore

/// Where every stream stands: its checkpoint, how far behind the source it is, its last run, its rejects.
public struct StatusReport: Sendable {
    /// One checkpoint of one stream.
    public struct Entry: Sendable {
        public var stream: String
        public var checkpoint: CheckpointStatus
        /// Rows in the source after the checkpoint.
        public var rowsBehind: Int?
        /// Seconds between the newest watermark in the source and the checkpoint's (timestamp watermarks).
        public var secondsBehind: Double?
        /// Why the source could not be measured, if it could not.
        public var sourceError: String?
    }

    public var entries: [Entry]
    /// Backfills not completed: stream, plan id, windows done and total, rows read.
    public var backfills: [(stream: String, id: Int64, done: Int, total: Int, rows: Int)] = []

    /// Measures every stream of `mapping`.
    public static func collect(mapping: MappingFile, configuration: SyncConfiguration) async throws -> StatusReport {
        let state = try await PostgresConnection.connect(configuration.state ?? configuration.source)
        let source = try await PostgresConnection.connect(configuration.source)
        do {
            let report = try await collect(mapping: mapping, state: state, source: source, schema: configuration.stateSchema)
            await state.close()
            await source.close()
            return report
        } catch {
            await state.close()
            await source.close()
            throw error
        }
    }

    static func collect(mapping: MappingFile, state: PostgresConnection, source: PostgresConnection, schema: String) async throws -> StatusReport {
        let store = try await CheckpointStore.open(connection: state, schemaName: schema)
        var entries: [Entry] = []
        for stream in mapping.streams {
            var parts: [(String, MappingSection)] = []
            switch stream.target {
            case .metadata: parts.append((stream.name, stream.main))
            case .transcripts:
                parts.append(("\(stream.name):conversations", stream.main))
                if let messages = stream.messages { parts.append(("\(stream.name):messages", messages.section)) }
            }
            let statuses = try await store.status(of: parts.map(\.0))
            for ((_, section), checkpoint) in zip(parts, statuses) {
                var entry = Entry(stream: stream.name, checkpoint: checkpoint)
                do {
                    let query = WatermarkQuery(relationSQL: section.source.relationSQL, watermark: section.source.watermark, key: section.source.key)
                    let extractor = WatermarkExtractor(connection: source, query: query)
                    if let highest = try await extractor.upperBound() {
                        entry.rowsBehind = try await extractor.remaining(after: checkpoint.position, upTo: highest)
                        entry.secondsBehind = try await secondsBetween(checkpoint.position?.watermark, highest, on: source)
                    } else {
                        entry.rowsBehind = 0
                    }
                } catch {
                    entry.sourceError = RunContext.describe(error)
                }
                entries.append(entry)
            }
        }
        return StatusReport(entries: entries, backfills: try await store.runningBackfills())
    }

    /// Seconds from `from` to `to` when both are timestamps; `nil` otherwise.
    static func secondsBetween(_ from: String?, _ to: String, on connection: PostgresConnection) async throws -> Double? {
        guard let from else { return nil }
        let rows = try? await connection.query("SELECT extract(epoch FROM $2::timestamptz - $1::timestamptz)::float8",
                                               [PostgresBind(from), PostgresBind(to)])
        return try rows?.first?.decode(Double?.self, at: 0)
    }
}
