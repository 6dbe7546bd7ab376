import ArgumentParser
import DemoData
import Postgres

/// `asapp-sync demo`: the demo contact-center database.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create and fill the demo contact-center database.",
        subcommands: [Seed.self]
    )

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the demo schema (contact_center) and fill it with deterministic data.",
            discussion: "The same --scale and --seed always give the same rows. Scale 1 is about 100 conversations and 2,000 messages."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "How much data: conversations = 100 × scale.")
        var scale: Int = 1

        @Option(help: "Varies the data deterministically.")
        var seed: Int = 1

        @Flag(help: "Drop the demo schema first.")
        var reset = false

        func validate() throws {
            guard scale >= 1 else { throw ValidationError("--scale must be at least 1") }
        }

        func run() async throws {
            let connection = try await PostgresConnection.connect(database.source(Environment()))
            if reset { try await connection.execute(DemoDatabase.dropSQL) }
            try await connection.execute(DemoDatabase.schemaSQL)
            try await connection.execute(DemoDatabase.seedSQL(scale: scale, seed: seed))
            await connection.close()
            print("demo data loaded (scale \(scale), seed \(seed))")
        }
    }
}
