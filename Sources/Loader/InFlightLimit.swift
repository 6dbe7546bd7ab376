import Synchronization

/// How many requests one client keeps in flight: as many as its callers ask for while the API takes
/// them, fewer once it says it is overloaded.
///
/// The limit moves as TCP's congestion window does (additive increase, multiplicative decrease). An
/// answer of overload (`429`, `503`) halves it, starting from the requests actually in flight when the
/// limit was higher than that; the other answers of a burst sent before that cut do not cut it again, so
/// one crowded moment halves it once. Every other answer to a request sent since the last cut that
/// arrives while the limit is full raises it by 1/limit, one request more per round of answers, until it
/// is one short of the level that met the overload; from there it creeps up sixteen times slower, so an
/// API at a fixed capacity is probed past it once in a long while rather than once per climb (each probe
/// costs a request its `Retry-After`). A transport failure says nothing about load and leaves it as it
/// is. Requests waiting for room go in the order they came; a request that waits out a backoff holds no
/// room meanwhile.
///
/// Callers still bound their own requests (`--concurrency`): the limit only ever takes away, never lets
/// a stream send more than it would without it.
final class InFlightLimit: Sendable {
    /// What an answer says about the API's load.
    enum Signal: Sendable {
        /// An answer that came back as asked: there was room for the request.
        case answered
        /// `429` or `503`: the API wants fewer requests.
        case overloaded
        /// No answer (a transport failure): nothing is learnt.
        case unknown
    }

    /// Room for one request, given back with `release(_:_:)`.
    struct Permit: Sendable {
        /// Its place in the order permits were handed out, so an overload answer can tell whether the
        /// request went out before or after the last cut.
        fileprivate let sequence: UInt64
    }

    /// The most requests in flight the limit ever allows. Default: 1,024.
    let ceiling: Int

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Permit, any Error>
    }

    private struct State {
        var limit: Double
        var inFlight = 0
        var issued: UInt64 = 0
        /// `issued` when the limit was last cut: permits up to it were taken out before the cut.
        var cutAt: UInt64 = 0
        /// The requests in flight (or the limit, if lower) when the last cut's overload was met.
        var overloadedAt = Double.infinity
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0

        mutating func issue() -> Permit {
            issued += 1
            inFlight += 1
            return Permit(sequence: issued)
        }
    }

    private let state: Mutex<State>

    /// A limit that starts at `ceiling` (at least 1).
    init(ceiling: Int = 1024) {
        self.ceiling = max(1, ceiling)
        self.state = Mutex(State(limit: Double(max(1, ceiling))))
    }

    /// The current limit, in whole requests (at least 1).
    var limit: Int { state.withLock { max(1, Int($0.limit)) } }

    /// Requests holding a permit now.
    var inFlight: Int { state.withLock { $0.inFlight } }

    /// Requests waiting for room now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for room for one request.
    ///
    /// - Throws: `CancellationError` when the task is cancelled before room was found.
    func acquire() async throws -> Permit {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Permit, any Error>) in
                let granted: Permit? = state.withLock { state in
                    if state.waiters.isEmpty, state.inFlight < max(1, Int(state.limit)) { return state.issue() }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let granted { continuation.resume(returning: granted) }
                // A task cancelled before it queued is answered by its handler below, which finds it now.
                if Task.isCancelled { cancel(id) }
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Gives back `permit`'s room, with what its request's answer says about the API's load.
    ///
    /// - Returns: the new limit when this answer cut it, else `nil`.
    @discardableResult
    func release(_ permit: Permit, _ signal: Signal) -> Int? {
        let (woken, cut): ([(CheckedContinuation<Permit, any Error>, Permit)], Int?) = state.withLock { state in
            let wasFull = state.inFlight >= max(1, Int(state.limit))
            var cut: Int?
            switch signal {
            case .overloaded where permit.sequence > state.cutAt:
                state.overloadedAt = min(state.limit, Double(state.inFlight))
                state.limit = max(1, state.overloadedAt / 2)
                state.cutAt = state.issued
                cut = Int(state.limit)
            case .answered where wasFull && permit.sequence > state.cutAt:
                let step = state.limit + 1 < state.overloadedAt ? 1 / state.limit : 1 / (16 * state.limit)
                state.limit = min(Double(ceiling), state.limit + step)
            case .overloaded, .answered, .unknown:
                break
            }
            state.inFlight -= 1
            var woken: [(CheckedContinuation<Permit, any Error>, Permit)] = []
            while !state.waiters.isEmpty, state.inFlight < max(1, Int(state.limit)) {
                let waiter = state.waiters.removeFirst()
                woken.append((waiter.continuation, state.issue()))
            }
            return (woken, cut)
        }
        for (continuation, permit) in woken { continuation.resume(returning: permit) }
        return cut
    }

    /// Removes waiter `id`, if it still waits, and ends its wait with `CancellationError`.
    private func cancel(_ id: UInt64) {
        let removed = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        removed?.continuation.resume(throwing: CancellationError())
    }
}
