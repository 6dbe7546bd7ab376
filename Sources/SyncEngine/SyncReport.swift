public import Checkpoints
public import SyncCore

/// What happened to one stream in a run.
public struct StreamOutcome: Sendable {
    /// How the stream's part of the run ended.
    public enum Status: String, Sendable, Hashable {
        /// Every row up to the bound was delivered.
        case succeeded
        /// Every row up to the bound was dealt with; some were rejected and recorded.
        case completedWithRejects = "completed with rejects"
        /// The stream stopped on an error; its checkpoint stands after the last acknowledged batch.
        case failed
        /// Another run holds the stream; nothing was done.
        case busy
        /// A stop was requested; the stream ended at a committed batch and resumes from there.
        case interrupted
    }

    /// One checkpointed part of a stream: the stream itself for metadata; its conversations and its
    /// messages for transcripts.
    public struct Phase: Sendable {
        /// The checkpoint's name (`stream`, `stream:conversations`, `stream:messages`).
        public var name: String
        public var stats: StreamRunStats
        /// Requests answered by the API.
        public var batches: Int
        /// The position before and after the run.
        public var start: SyncPosition?
        public var end: SyncPosition?
        /// The highest watermark this run would read to.
        public var upperBound: String?
    }

    public var stream: String
    public var target: String
    public var status: Status
    public var phases: [Phase] = []
    /// Why the stream failed, without secrets or row contents.
    public var error: String?
    public var duration: Duration = .zero

    /// The phase called `name`.
    public func phase(_ name: String) -> Phase? { phases.first { $0.name == name } }

    /// The sum over the stream's phases.
    public var totals: StreamRunStats {
        var total = StreamRunStats()
        for p in phases { total += p.stats }
        return total
    }

    /// Adds what earlier attempts of the same stream (before a lost connection) did to this attempt's phases.
    mutating func mergeEarlierAttempts(_ earlier: [Phase]) {
        for old in earlier {
            if let i = phases.firstIndex(where: { $0.name == old.name }) {
                phases[i].stats += old.stats
                phases[i].batches += old.batches
                phases[i].start = old.start
            } else {
                phases.append(old)
            }
        }
    }

    /// Requests answered by the API, over all phases.
    public var batches: Int { phases.reduce(0) { $0 + $1.batches } }
}

/// What a run did, stream by stream.
public struct SyncReport: Sendable {
    public var runID: Int64
    public var status: RunStatus
    public var streams: [StreamOutcome]
    public var duration: Duration

    /// The sum over all streams.
    public var totals: StreamRunStats {
        var total = StreamRunStats()
        for s in streams { total += s.totals }
        return total
    }
}
