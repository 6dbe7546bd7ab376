import NIOCore
import NIOPosix

/// A task executor that runs its jobs on one event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

enum EventLoopExecutors {
    /// One executor per thread of NIO's shared event loop group, the threads every task of the connector
    /// runs on (see `AsappSync.main`). That group places a child task on its parent's thread, which would
    /// map a page's parts one after another: the mapping tasks name their thread instead.
    static let mapping: [any TaskExecutor] = MultiThreadedEventLoopGroup.singleton.makeIterator().map { EventLoopTaskExecutor($0) }
}
