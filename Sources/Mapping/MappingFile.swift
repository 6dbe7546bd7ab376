public import APIContract
public import SyncCore

/// A checked mapping file: every stream in it passed the static checks against the API contract.
public struct MappingFile: Sendable {
    /// The path the file was read from, as the user gave it.
    public var path: String
    /// The format version the file declares.
    public var version: Int
    /// The streams, in file order.
    public var streams: [StreamMapping]
    /// Warnings found while checking; a file with errors never becomes a `MappingFile`.
    public var warnings: [MappingDiagnostic]

    /// The stream called `name`.
    public func stream(named name: String) -> StreamMapping? {
        streams.first { $0.name == name }
    }
}

/// Where a stream's rows go.
public enum MappingTarget: Sendable, Hashable {
    /// Agent, conversation or customer metadata through the Metadata Ingestion API.
    case metadata(MetadataEntity)
    /// Conversations and their messages through the Conversations API.
    case transcripts

    /// The name used for it in mapping files.
    public var fileName: String {
        switch self {
        case .metadata(let entity): "\(entity.fileName)-metadata"
        case .transcripts: "transcripts"
        }
    }

    /// Every target a mapping file can name.
    public static let all: [MappingTarget] = MetadataEntity.allCases.map { .metadata($0) } + [.transcripts]
}

extension MetadataEntity {
    /// The entity's name in mapping files (`agent`, `conversation`, `customer`).
    public var fileName: String {
        switch self {
        case .agent: "agent"
        case .convo: "conversation"
        case .customer: "customer"
        }
    }
}

/// How a metadata stream's items are posted.
public enum Delivery: String, Sendable, Hashable, CaseIterable {
    /// In batches through the `many-*` endpoint.
    case many
    /// One item per request through the `single-*` endpoint.
    case single
}

/// One stream: where its rows come from and how each row becomes an API item.
///
/// A metadata stream has one section; a transcripts stream has a section for conversations (the
/// create-or-update body) and one for their messages.
public struct StreamMapping: Sendable {
    /// The stream's unique name; checkpoints are kept under it.
    public var name: String
    public var target: MappingTarget
    public var delivery: Delivery
    /// The rows and fields of metadata items, or of conversations for transcripts.
    public var main: MappingSection
    /// For transcripts: the messages.
    public var messages: MessagesMapping?
    /// Where the stream is declared.
    public var location: SourceLocation

    /// The main section's source.
    public var source: SourceSpec { main.source }
    /// The main section's items per request; `nil` means the loader's default.
    public var batchSize: Int? { main.batchSize }
    /// The main section's fields in file order.
    public var fields: [FieldMapping] { main.fields }
    /// The schema of one item of the main section.
    public var itemSchema: ObjectSchema { main.schema }
}

/// Rows of one relation and how each becomes one JSON object of `schema`.
public struct MappingSection: Sendable {
    public var source: SourceSpec
    /// Items per request; `nil` means the default.
    public var batchSize: Int?
    /// The fields in file order; nested members have dotted paths.
    public var fields: [FieldMapping]
    /// What each object must conform to.
    public var schema: ObjectSchema
    /// Where the section is declared.
    public var location: SourceLocation
}

/// The messages of a transcripts stream: their rows, the link to their conversation, their order.
public struct MessagesMapping: Sendable {
    public var section: MappingSection
    /// The column holding the key of the message's conversation (the conversations source's `key`).
    public var conversationColumn: String
    /// The column that orders a conversation's messages (ties broken by the message key).
    public var orderColumn: String
    public var conversationLocation: SourceLocation
    public var orderLocation: SourceLocation
}

/// Where a stream reads its rows and how it orders them.
public struct SourceSpec: Sendable, Hashable {
    /// The relation rows are read from.
    public enum Relation: Sendable, Hashable {
        /// A table or view, as schema-qualified identifier parts (validated, quoted when used).
        case table([String])
        /// A SELECT statement, used as a subquery.
        case query(String)
    }

    public var relation: Relation
    /// The column whose value only grows as rows are written or changed (e.g. `updated_at`, a serial id).
    public var watermark: String
    /// A unique column that orders rows sharing one watermark value.
    public var key: String
    /// The zone of `timestamp without time zone` values, as an IANA name; `nil` means none was stated.
    public var timezone: String?
    /// Where each part was written, for later diagnostics.
    public var watermarkLocation: SourceLocation
    public var keyLocation: SourceLocation
    /// How rows are read.
    public var read: ReadMode = .keyset

    /// How a stream's rows are read from its source.
    public enum ReadMode: String, Sendable, Hashable, CaseIterable {
        /// Keyset pages: each page is its own statement, after the last row of the one before. Cheap when
        /// an index serves `(watermark, key)`; no transaction stays open between pages.
        case keyset
        /// One statement in a read-only transaction, its rows fetched from a cursor page by page. The
        /// source's ordering is computed once per run instead of once per page: for a watermark no index
        /// serves (a computed `greatest(...)`, a join), keyset pages cost a sort of the whole source
        /// each. The transaction stays open while the stream is read.
        case cursor
    }

    /// The relation as SQL: a quoted table name or the parenthesised query.
    public var relationSQL: String {
        switch relation {
        case .table(let parts): parts.map(SourceSpec.quoteIdentifier).joined(separator: ".")
        case .query(let sql): "(\(sql))"
        }
    }

    /// `name` as a quoted SQL identifier.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// One target field and the expression that computes it.
public struct FieldMapping: Sendable {
    /// The member names from the item down to the field (`["customer", "externalId"]`).
    public var path: [String]
    /// The field's contract.
    public var spec: FieldSpec
    public var expression: ValueExpression
    /// What a NULL or empty value does.
    public var ifEmpty: EmptyPolicy
    /// Where the field is declared.
    public var location: SourceLocation

    /// The dotted path, as written in the mapping file.
    public var name: String { path.joined(separator: ".") }
}

/// What a field does with a NULL or empty-text value.
public enum EmptyPolicy: Sendable, Hashable {
    /// Nothing special: NULL leaves an optional field out; the contract check judges the rest.
    case none
    /// The row is rejected and recorded.
    case reject
    /// The row is not sent; it is counted as skipped.
    case skip
    /// This value is used instead.
    case replace(SourceValue)
}

/// What a value map does with a value it has no entry for.
public enum MapFallback: Sendable, Hashable {
    /// The row is rejected, naming the value and the field.
    case reject
    /// This value is used instead (`.null` leaves an optional field out).
    case value(SourceValue)
}
