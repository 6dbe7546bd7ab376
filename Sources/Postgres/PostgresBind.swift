import SyncCore

/// One bound parameter (`$1`, `$2`, …): its text form and, optionally, its type.
///
/// Values always travel as parameters, never spliced into SQL text, so quotes and semicolons in data are
/// just data. Strings are sent with no type so the server can read them as whatever the context needs
/// (`uuid`, `varchar`, an enum); numbers, booleans and timestamps carry their type so `SELECT $1` means
/// what the Swift value meant.
public struct PostgresBind: Sendable, Hashable {
    /// The value in PostgreSQL's text input format; `nil` is SQL NULL.
    public var text: String?
    /// The parameter's type; `.unspecified` lets the server infer it.
    public var type: PostgresType

    /// A parameter from its text input form and an optional explicit type.
    public init(text: String?, type: PostgresType = .unspecified) {
        self.text = text
        self.type = type
    }

    /// SQL NULL, typed when the context cannot tell.
    public static func null(_ type: PostgresType = .unspecified) -> PostgresBind {
        PostgresBind(text: nil, type: type)
    }

    /// A text value (or NULL) whose type the server infers.
    public init(_ value: String?) { self.init(text: value) }

    /// A `bigint`.
    public init(_ value: Int) { self.init(text: String(value), type: .int8) }

    /// A `bigint`.
    public init(_ value: Int64) { self.init(text: String(value), type: .int8) }

    /// An `integer`.
    public init(_ value: Int32) { self.init(text: String(value), type: .int4) }

    /// A `boolean`.
    public init(_ value: Bool) { self.init(text: value ? "true" : "false", type: .bool) }

    /// A `double precision`; infinities and NaN use PostgreSQL's spellings.
    public init(_ value: Double) {
        let text: String
        if value.isNaN {
            text = "NaN"
        } else if value.isInfinite {
            text = value < 0 ? "-Infinity" : "Infinity"
        } else {
            // Swift prints the shortest text that reads back to the same Double, which PostgreSQL accepts.
            text = "\(value)"
        }
        self.init(text: text, type: .float8)
    }

    /// A `timestamptz`, to the microsecond.
    public init(_ value: UTCTimestamp) { self.init(text: value.iso8601(fractionDigits: 6), type: .timestamptz) }

    /// A `timestamp without time zone`, to the microsecond.
    public init(_ value: LocalTimestamp) { self.init(text: value.sqlText, type: .timestamp) }

    /// A `date`.
    public init(_ value: LocalDate) { self.init(text: value.iso8601, type: .date) }

    /// A one-dimensional array in PostgreSQL's array literal form; its type is inferred (`text[]`,
    /// `varchar[]`, …) unless given.
    public init(_ elements: [String?], type: PostgresType = .unspecified) {
        self.init(text: PostgresArrayText.format(elements), type: type)
    }

    /// A source value, typed by its kind so it reads back as the same value.
    public init(_ value: SourceValue) {
        switch value {
        case .null: self = .null()
        case .string(let s): self.init(s)
        case .integer(let i): self.init(i)
        case .decimal(let d): self.init(text: d, type: .numeric)
        case .double(let d): self.init(d)
        case .bool(let b): self.init(b)
        case .timestamp(let t): self.init(t)
        case .localTimestamp(let t): self.init(t)
        case .date(let d): self.init(d)
        case .stringArray(let a): self.init(a)
        // Untyped so the server reads it as `json` or `jsonb`, whichever the column is.
        case .json(let j): self.init(text: j)
        }
    }
}

extension PostgresBind: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    /// A text literal, typed by the server from context.
    public init(stringLiteral value: String) { self.init(value) }
    /// An integer literal, as `bigint`.
    public init(integerLiteral value: Int) { self.init(value) }
    /// `true` or `false`, as `boolean`.
    public init(booleanLiteral value: Bool) { self.init(value) }
    /// A floating-point literal, as `double precision`.
    public init(floatLiteral value: Double) { self.init(value) }
    /// `nil`: SQL NULL of an inferred type.
    public init(nilLiteral: ()) { self.init(text: nil) }
}
