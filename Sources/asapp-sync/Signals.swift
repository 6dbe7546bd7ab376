#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SyncEngine

/// The process's stop request: SIGINT and SIGTERM set it; a second signal ends the process at once.
let processStop = StopRequest()

/// Signal handling, owned by the executable.
enum Signals {
    /// Routes SIGINT and SIGTERM to `processStop`. The handler only does an atomic add (and `_exit` on the
    /// second signal), both safe inside a signal handler.
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if processStop.request() >= 2 { _exit(130) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}
