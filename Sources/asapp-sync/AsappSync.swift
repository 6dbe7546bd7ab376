import ArgumentParser
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The `asapp-sync` command: moves contact-center data from PostgreSQL to ASAPP's APIs.
@main
struct AsappSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asapp-sync",
        abstract: "Sync contact-center data from PostgreSQL to ASAPP's Metadata Ingestion and Conversations APIs.",
        discussion: """
            Streams are declared in a mapping file (see mappings/). Each run reads the rows written since the \
            stream's checkpoint, maps them to API items, checks them against the API contract, delivers them, \
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

    static func main() async {
        limitMallocArenas()
        // Tasks run on the same threads as the HTTP connections' event loops, so a request and its answer
        // no longer cross between Swift's pool and NIO's (one thread switch each way per request: 10% of
        // the connector's CPU on transcripts). Nothing in the connector blocks a task: the database has its
        // own thread per connection. Called first, from the main thread, before any task is made.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    /// glibc gives every thread that allocates under contention an arena of its own, up to 8 per core,
    /// and memory freed in one arena is not reused by another: with mapping, the HTTP event loops and the
    /// database thread all allocating, peak memory crept up with the rows read (46 MB at 100,000 messages,
    /// 58 MB at 2,000,000). One arena per core keeps it flat at no measured cost in speed. An explicit
    /// `MALLOC_ARENA_MAX` in the environment is left to win.
    static func limitMallocArenas() {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil,
              // mallopt(3) is declared in <malloc.h>, which the Glibc module does not export.
              let symbol = dlsym(nil, "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mARENA_MAX: Int32 = -8  // <malloc.h>
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mARENA_MAX, Int32(max(2, sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        #endif
    }
}
