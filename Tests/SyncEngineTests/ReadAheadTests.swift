import Extractor
import SyncCore
@testable import SyncEngine
import Testing

@Suite("Reading one page ahead")
struct ReadAheadTests {
    /// What the reads did: the positions asked for, in order, and how many ran at once.
    actor Reads {
        var asked: [String?] = []
        var running = 0
        var mostAtOnce = 0
        var finished = 0
        /// Reads whose wait was cut short by cancellation.
        var cancelled = 0

        func begin(_ position: SyncPosition?) {
            asked.append(position?.key)
            running += 1
            mostAtOnce = max(mostAtOnce, running)
        }

        func end() {
            running -= 1
            finished += 1
        }

        func noteCancelled() { cancelled += 1 }
    }

    struct Broken: Error {}

    /// Pages 0 to `last`, each ending at its number; reading the page after `failing` throws.
    static func source(_ reads: Reads, last: Int, failing: Int? = nil) -> @Sendable (SyncPosition?) async throws -> ExtractedPage {
        { position in
            await reads.begin(position)
            try? await Task.sleep(for: .milliseconds(5))
            await reads.end()
            let previous = position.map { Int($0.key)! }
            if let failing, previous == failing { throw Broken() }
            let index = previous.map { $0 + 1 } ?? 0
            return ExtractedPage(rows: [], end: SyncPosition(watermark: "\(index)", key: "\(index)"), isLast: index == last)
        }
    }

    @Test("pages come in order, read one at a time, the next one's read started before it is asked for")
    func inOrderAndAhead() async throws {
        let reads = Reads()
        let ahead = ReadAhead(Self.source(reads, last: 4))
        var position: SyncPosition?
        var pages: [String] = []
        while true {
            let page = try await ahead.page(after: position)
            pages.append(try #require(page.end).key)
            if page.isLast { break }
            if pages.count == 1 {
                // Nobody has asked for page 1 yet, and its read is under way or done.
                try await Task.sleep(for: .milliseconds(50))
                #expect(await reads.asked == [nil, "0"])
            }
            position = page.end
        }
        await ahead.finish()
        #expect(pages == ["0", "1", "2", "3", "4"])
        #expect(await reads.asked == [nil, "0", "1", "2", "3"], "each page read once, nothing read past the last")
        #expect(await reads.mostAtOnce == 1)
    }

    @Test("a failed read ahead is thrown to whoever asks for that page")
    func failureReachesTheAsker() async throws {
        let reads = Reads()
        let ahead = ReadAhead(Self.source(reads, last: 4, failing: 1))
        let first = try await ahead.page(after: nil)
        let second = try await ahead.page(after: first.end)
        await #expect(throws: Broken.self) { try await ahead.page(after: second.end) }
        await ahead.finish()
    }

    @Test("finish() after an early stop waits for the read under way")
    func finishWaits() async throws {
        let reads = Reads()
        let ahead = ReadAhead(Self.source(reads, last: 4))
        _ = try await ahead.page(after: nil)
        await ahead.finish()
        #expect(await reads.asked == [nil, "0"])
        #expect(await reads.running == 0)
        #expect(await reads.finished == 2)
    }

    @Test("a cancelled caller gets its page and starts no read after it")
    func cancelledStartsNothing() async throws {
        let reads = Reads()
        let ahead = ReadAhead(Self.source(reads, last: 4))
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await ahead.page(after: nil)
        }
        let page = try await task.value
        await ahead.finish()
        #expect(page.end?.key == "0")
        #expect(await reads.asked == [nil])
    }

    @Test("finish() cancels a read that waits (a throttled one) instead of waiting its time out")
    func finishCancelsAWait() async throws {
        let reads = Reads()
        // Every read after the first waits a minute unless cancelled, as one behind a row cap would.
        let ahead = ReadAhead { position in
            await reads.begin(position)
            if position != nil {
                do { try await Task.sleep(for: .seconds(60)) } catch { await reads.noteCancelled() }
            }
            await reads.end()
            let index = position.map { Int($0.key)! + 1 } ?? 0
            return ExtractedPage(rows: [], end: SyncPosition(watermark: "\(index)", key: "\(index)"), isLast: index == 4)
        }
        _ = try await ahead.page(after: nil)
        let clock = ContinuousClock()
        let started = clock.now
        await ahead.finish()
        // What shows it is the cancelled wait; the clock only confirms that finish() did not sit out the
        // minute (with a margin for a machine that a parallel build keeps busy).
        #expect(await reads.cancelled == 1)
        #expect(clock.now - started < .seconds(30))
        #expect(await reads.finished == 2)
    }
}
