/// The demo contact-center database: its schema, a deterministic generator and helpers that simulate
/// later changes. Everything here only builds SQL text; running it is the caller's business.
///
/// Every script is plain SQL for PostgreSQL 13 or later. The `...SQL` strings hold several statements
/// and need the simple query protocol (libpq's `PQexec`); the matching `...Statements` arrays hold one
/// statement per element for drivers that send one statement at a time.
public enum DemoDatabase {
    /// The schema every demo table lives in.
    public static let schemaName = "contact_center"

    /// The first instant the generator uses; seeded rows are stamped from here on.
    public static let epoch = "2024-01-01T00:00:00Z"

    /// A timestamp later than every timestamp the seed writes for any scale up to 10,000; a safe `at`
    /// for ``touchSQL(conversations:newMessagesPerConversation:at:)``.
    public static let afterSeed = "2026-01-01T00:00:00Z"

    /// The DDL statements, in order. Idempotent: they create only what is missing.
    public static let schemaStatements: [String] = Schema.statements

    /// The DDL as one script: ``schemaStatements`` joined.
    public static let schemaSQL: String = script(schemaStatements)

    /// Drops the demo schema and everything in it. Harmless when it does not exist.
    public static let dropSQL: String = "DROP SCHEMA IF EXISTS \(schemaName) CASCADE;\n"

    /// The statements that replace the demo tables' contents with the data set for `scale` and `seed`.
    ///
    /// Needs ``schemaSQL`` to have run. The same `scale` and `seed` always give byte-identical rows and
    /// ids. `seed` changes names, texts, channels and message counts of ordinary rows; the rows that carry
    /// the awkward cases sit at fixed ids whatever the seed (listed in `SeedScript.swift`).
    /// - Parameters:
    ///   - scale: 1 or more; scale 1 is about 100 conversations and 2,000 messages.
    ///   - seed: varies the data set; default 1.
    public static func seedStatements(scale: Int, seed: Int = 1) -> [String] {
        SeedScript(scale: scale, seed: seed).statements
    }

    /// ``seedStatements(scale:seed:)`` as one script.
    public static func seedSQL(scale: Int, seed: Int = 1) -> String {
        script(seedStatements(scale: scale, seed: seed))
    }

    /// How many rows the seed writes per table for `scale` (messages vary with the seed and are not
    /// predicted; query them).
    public static func size(scale: Int) -> Size {
        Size(scale: scale)
    }

    static func script(_ statements: [String]) -> String {
        statements.map { "\($0);\n" }.joined(separator: "\n")
    }
}
