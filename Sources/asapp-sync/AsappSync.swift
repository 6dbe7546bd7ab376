import ArgumentParser

/// The `asapp-sync` command: moves contact-center data from PostgreSQL to ASAPP's APIs.
@main
struct AsappSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asapp-sync",
        abstract: "Sync contact-center data from PostgreSQL to ASAPP's Metadata Ingestion and Conversations APIs.",
        discussion: """
            Streams are declared in a mapping file (see mappings/). Each run reads the rows written since the
            stream's checkpoint, maps them to API items, checks them against the API contract, delivers them,
            and moves the checkpoint as the API acknowledges them.

            Exit codes:
              0   every row was delivered (or there was nothing to do)
              1   a run failed (see the summary and the runs table)
              3   the run completed, but some rows were rejected (see the rejects table)
              64  the command line was wrong
              65  the mapping file has errors
              75  another run holds a stream; try again later
              130 stopped by SIGINT or SIGTERM (a one-off run; scheduled mode exits 0)
            """,
        subcommands: [SyncCommand.self, BackfillCommand.self, StatusCommand.self, ValidateCommand.self, PreviewCommand.self, RejectsCommand.self,
                      DemoCommand.self]
    )
}
