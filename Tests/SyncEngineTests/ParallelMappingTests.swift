import Dispatch
import Mapping
@testable import SyncEngine
import SyncCore
import Synchronization
import Testing

@Suite("A page mapped by several tasks")
struct ParallelMappingTests {
    @Test("gives the same outcomes, in the same order, as one task: items, rejects and skips alike", arguments: [2, 3, 4])
    func sameOutcomesAsOneTask(tasks: Int) async throws {
        try await check(tasks: tasks, executors: [])
    }

    /// An executor that runs its jobs on a queue of its own and counts them.
    final class CountingExecutor: TaskExecutor {
        let queue = DispatchQueue(label: "counting-executor")
        let jobs = Atomic<Int>(0)
        func enqueue(_ job: consuming ExecutorJob) {
            jobs.add(1, ordering: .relaxed)
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    @Test("runs its tasks on the executors given, in turn, with the same outcomes")
    func onTheExecutorsGiven() async throws {
        let executors = [CountingExecutor(), CountingExecutor()]
        try await check(tasks: 4, executors: executors)
        for (i, executor) in executors.enumerated() {
            #expect(executor.jobs.load(ordering: .relaxed) >= 2, "executor \(i) ran the tasks given to it")
        }
    }

    func check(tasks: Int, executors: [any TaskExecutor]) async throws {
        let text = SyncHarness.mappingText.replacingOccurrences(of: "default: null", with: "default: null\n      lobName: { column: lob, if_empty: skip }")
        let mapping = try MappingParser.parse(text, path: "test.yaml")
        let columns = SourceColumns(["id", "external_id", "channel", "lob", "updated_at"])
        let mappers = try StreamRun.mappers(section: mapping.streams[0].main, stream: mapping.streams[0].name, columns: columns, tasks: tasks)
        // Every 7th row breaks the contract (a space in the id), every 11th has an empty lob (skipped).
        func row(_ i: Int) -> SourceRow {
            let externalID = i % 7 == 0 ? "conv \(i)" : "conv-\(i)"
            let channel = i % 2 == 0 ? "web" : "sms"
            let lob = i % 11 == 0 ? "" : "lob-\(i % 5)"
            let stamp = UTCTimestamp(microseconds: 1_700_000_000_000_000 + Int64(i))
            let values: [SourceValue] = [.integer(Int64(i)), .string(externalID), .string(channel), .string(lob), .timestamp(stamp)]
            return SourceRow(columns: columns, values: values)
        }
        let rows = (1...3_001).map(row)
        func describe(_ mapped: [StreamRun.MappedRow]) -> [String] {
            mapped.map { row in
                switch row.outcome {
                case .item(let item): "\(row.key) item \(item.text)"
                case .rejected(let rejection): "\(row.key) rejected \(rejection.field ?? "") \(rejection.message)"
                case .skipped: "\(row.key) skipped"
                }
            }
        }
        let one = describe(try await StreamRun.map(rows, with: [mappers[0]], tasks: 1))
        let many = describe(try await StreamRun.map(rows, with: mappers, tasks: tasks, executors: executors))
        #expect(one.count == rows.count)
        #expect(many == one)
        // A row that is both is skipped: the skip is decided first.
        let contractBreakers = (1...3_001).filter { $0 % 7 == 0 && $0 % 11 != 0 }.count
        let rejected = one.filter { $0.contains(" rejected ") }.count
        #expect(rejected == contractBreakers)
        #expect(one.filter { $0.hasSuffix(" skipped") }.count == 3_001 / 11)
        #expect(one.first?.hasPrefix("1 item {") == true)
    }
}
