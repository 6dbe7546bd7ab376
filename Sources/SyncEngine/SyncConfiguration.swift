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
    /// Requests of a batched metadata stream in flight at once, each a batch of up to `defaultBatchSize`
    /// items. Default: 4: mapping a batch of 1,000 takes about as long as a distant API takes to answer.
    public var maxInFlightBatches: Int = 4
    /// Requests in flight at once for a stream whose requests are small: a metadata stream sent with
    /// `delivery: single` (one item each), and a transcripts stream, where it is the create requests in
    /// flight of its conversations phase and the conversations delivered at once in its messages phase
    /// (each with one request in flight at a time, its batches in order). Default: 128: what bounds such
    /// requests is the API's time to answer, and the API's overload answers cut them (`InFlightLimit`).
    /// At 20 ms an answer, transcripts went from about 4,900 messages a second at 4 to 15,800 at 32, and
    /// to 24,700 at 64 with the messages phase's commits no longer waiting for whole groups, and to
    /// 30,500 at 128, which was no slower against an API that takes 16 at once. On loopback 128 costs
    /// some CPU (a 100k run was about 8% slower, a 1M run mostly faster): the default is for an API that
    /// is not on the same machine (BENCHMARKS.md). The messages phase's bound on messages sent and not
    /// committed holds its conversations under that (about 75 of 20 messages).
    public var smallRequestsInFlight: Int = 128
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
