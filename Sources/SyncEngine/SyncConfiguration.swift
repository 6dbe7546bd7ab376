public import Extractor
public import Loader
public import Postgres

/// Everything a sync run needs besides the mapping file.
public struct SyncConfiguration: Sendable {
    /// The database the streams read from.
    public var source: PostgresConfiguration
    /// The database that keeps checkpoints, runs and rejects. Default: `nil`, the source database.
    public var state: PostgresConfiguration?
    /// The schema of the connector's own tables. Default: `asapp_sync`.
    public var stateSchema: String = "asapp_sync"
    /// How to reach the API.
    public var loader: LoaderConfiguration
    /// Rows read per keyset page. Default: `WatermarkExtractor.defaultPageSize` (1,000).
    public var pageSize: Int = WatermarkExtractor.defaultPageSize
    /// Items per request for streams that do not set `batch_size`. Default: 1,000 (the API's limit).
    public var defaultBatchSize: Int = 1000
    /// Requests of one metadata stream in flight at once, each a batch of up to `defaultBatchSize` items.
    /// Default: 4.
    public var maxInFlightBatches: Int = 4
    /// Conversations of a transcripts stream delivered at once, each with one request in flight at a time
    /// (its creation, then its messages' batches in order), and create requests in flight in its
    /// conversations phase. Default: 32: its requests are small, so what bounds them is the API's time
    /// to answer: at 20 ms an answer, 4 at once delivered about 4,900 messages a second, 32 about 15,800
    /// (BENCHMARKS.md).
    public var conversationsInFlight: Int = 32
    /// How each run's upper bound is kept below rows that may still commit. Default: no lag, open
    /// transactions respected.
    public var bound = BoundPolicy()
    /// Whether a stream held by another run is waited for (polling its lock) rather than reported busy.
    /// Default: false.
    public var waitForLock: Bool = false
    /// Set to stop the run early and cleanly. Default: `nil`, never stopped.
    public var stop: StopRequest?
    /// Where the tasks that map a page prefer to run, one after another. Default: none, wherever the
    /// global executor puts them. An executable whose global executor keeps a child task on its parent's
    /// thread gives one per thread here, so that a page is still mapped on every core.
    public var mappingExecutors: [any TaskExecutor] = []

    /// A configuration reading from `source` and delivering through `loader`, every other setting at its default.
    public init(source: PostgresConfiguration, loader: LoaderConfiguration) {
        self.source = source
        self.loader = loader
    }
}
