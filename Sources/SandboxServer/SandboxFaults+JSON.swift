import SyncCore

extension SandboxFaults {
    /// The JSON form used by `GET` and `POST /sandbox/v1/faults`.
    ///
    /// `{"tooManyRequestsRate","serviceUnavailableRate","internalErrorRate","dropConnectionRate",
    /// "retryAfterSeconds","latencyMs","maxBodyBytes","maxConcurrentRequests","seed"}`; `maxBodyBytes`
    /// and `maxConcurrentRequests` are `null` when unset.
    public var json: JSONValue {
        let (seconds, attoseconds) = latency.components
        let latencyMs = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return .object(JSONObject([
            ("tooManyRequestsRate", .double(tooManyRequestsRate)),
            ("serviceUnavailableRate", .double(serviceUnavailableRate)),
            ("internalErrorRate", .double(internalErrorRate)),
            ("dropConnectionRate", .double(dropConnectionRate)),
            ("retryAfterSeconds", .int(Int64(retryAfterSeconds))),
            ("latencyMs", .int(latencyMs)),
            ("maxBodyBytes", maxBodyBytes.map { .int(Int64($0)) } ?? .null),
            ("maxConcurrentRequests", maxConcurrentRequests.map { .int(Int64($0)) } ?? .null),
            ("seed", .int(Int64(truncatingIfNeeded: seed))),
        ]))
    }

    /// These faults with the members `object` names replaced; members it leaves out keep their value.
    ///
    /// - Throws: `SandboxError` (`invalidFaults`) naming the first unknown member or value out of range.
    public func updated(with object: JSONObject) throws -> SandboxFaults {
        var faults = self
        func number(_ key: String, _ value: JSONValue) throws -> Double {
            switch value {
            case .int(let i): return Double(i)
            case .double(let d) where d.isFinite: return d
            default: throw SandboxError(code: .invalidFaults, message: "\(key) must be a number")
            }
        }
        func rate(_ key: String, _ value: JSONValue) throws -> Double {
            let r = try number(key, value)
            guard (0...1).contains(r) else { throw SandboxError(code: .invalidFaults, message: "\(key) must be between 0 and 1") }
            return r
        }
        func count(_ key: String, _ value: JSONValue) throws -> Int {
            let n = try number(key, value)
            guard n >= 0, n == n.rounded(), n < 1e15 else {
                throw SandboxError(code: .invalidFaults, message: "\(key) must be a whole number, 0 or more")
            }
            return Int(n)
        }
        /// A positive whole number, or `null` for no limit.
        func limit(_ key: String, _ value: JSONValue) throws -> Int? {
            if case .null = value { return nil }
            let n = try count(key, value)
            guard n > 0 else { throw SandboxError(code: .invalidFaults, message: "\(key) must be positive or null") }
            return n
        }
        for (key, value) in object {
            switch key {
            case "tooManyRequestsRate": faults.tooManyRequestsRate = try rate(key, value)
            case "serviceUnavailableRate": faults.serviceUnavailableRate = try rate(key, value)
            case "internalErrorRate": faults.internalErrorRate = try rate(key, value)
            case "dropConnectionRate": faults.dropConnectionRate = try rate(key, value)
            case "retryAfterSeconds": faults.retryAfterSeconds = try count(key, value)
            case "latencyMs": faults.latency = .milliseconds(try count(key, value))
            case "maxBodyBytes": faults.maxBodyBytes = try limit(key, value)
            case "maxConcurrentRequests": faults.maxConcurrentRequests = try limit(key, value)
            case "seed": faults.seed = UInt64(try count(key, value))
            default:
                throw SandboxError(code: .invalidFaults, message: "unknown fault '\(key)'")
            }
        }
        guard faults.totalRate <= 1 else {
            throw SandboxError(code: .invalidFaults, message: "the fault rates add up to more than 1")
        }
        return faults
    }
}
