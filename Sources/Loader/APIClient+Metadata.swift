public import APIContract
import NIOCore
public import SyncCore

/// What the API said about one item.
public struct ItemResult: Sendable, Hashable {
    /// The event id the API recorded, when it said one.
    public var eventID: String?
    /// The API's error for this item; `nil` means the item was ingested.
    public var error: String?
    /// The HTTP status of the answer that decided this item.
    public var status: Int
    /// The id the API gave the item, where it gives one (a created conversation).
    public var returnedID: String? = nil

    /// Whether the API ingested the item.
    public var accepted: Bool { error == nil }
}

extension APIClient {
    /// Delivers metadata items and returns one result per item, in order.
    ///
    /// With `.many`, items go in one request (the caller keeps batches within the API's limit); a
    /// partial success is read item by item, a 400 for the whole batch records each item's own error, and
    /// a 413 splits the batch in halves down to single items. With `.single`, each item is its own request.
    ///
    /// - Throws: `DeliveryError` when the request cannot be delivered (retries exhausted, credentials
    ///   refused): none of the items is acknowledged.
    public func deliverMetadata(_ items: [EncodedJSON], entity: MetadataEntity, batched: Bool) async throws(DeliveryError) -> [ItemResult] {
        if !batched {
            var results: [ItemResult] = []
            results.reserveCapacity(items.count)
            for item in items { results.append(try await deliverSingle(item, entity: entity)) }
            return results
        }
        return try await deliverMany(items[...], entity: entity)
    }

    /// Delivers items held as objects; see `deliverMetadata(_:entity:batched:)` for encoded ones.
    public func deliverMetadata(_ items: [JSONObject], entity: MetadataEntity, batched: Bool) async throws(DeliveryError) -> [ItemResult] {
        try await deliverMetadata(items.map(EncodedJSON.init), entity: entity, batched: batched)
    }

    private func deliverMany(_ items: ArraySlice<EncodedJSON>, entity: MetadataEntity) async throws(DeliveryError) -> [ItemResult] {
        let path = entity.many.path()
        let answer = try await post(path, endpoint: entity.many, body: APIClient.envelopeBody("items", items))
        if let refusal = APIClient.refusal(answer, path: path) { throw refusal }
        switch answer.status {
        case 200, 400:
            // The results as walked from the answer's bytes; an answer of another shape (a result that is
            // not an object, say) is read as a tree, which finds `results` where the walk could not, or
            // tells the answer has none.
            let results = answer.bytes.withUnsafeBufferPointer(BatchAnswer.results(in:))
                ?? answer.body?["results"]?.arrayValue.map { $0.map { BatchAnswer.Result(eventID: $0["eventId"]?.stringValue, error: $0["error"]?.stringValue) } }
            if let results {
                guard results.count == items.count else {
                    throw DeliveryError(code: .unexpectedResponse, endpoint: path, status: answer.status, requestID: answer.requestID,
                                        apiCode: nil, message: "the API returned \(results.count) results for \(items.count) items",
                                        attempts: answer.attempts)
                }
                return results.map { result in
                    let error = result.error ?? ""
                    return ItemResult(eventID: result.eventID, error: error.isEmpty ? nil : error, status: answer.status)
                }
            }
            if answer.status == 200 {
                throw DeliveryError(code: .unexpectedResponse, endpoint: path, status: 200, requestID: answer.requestID, apiCode: nil,
                                    message: "the answer has no per-item results", attempts: answer.attempts)
            }
            return wholeBatchRefused(items.count, answer)
        case 413 where items.count > 1:
            let middle = items.startIndex + items.count / 2
            let first = try await deliverMany(items[..<middle], entity: entity)
            return first + (try await deliverMany(items[middle...], entity: entity))
        default:
            return wholeBatchRefused(items.count, answer)
        }
    }

    private func deliverSingle(_ item: EncodedJSON, entity: MetadataEntity) async throws(DeliveryError) -> ItemResult {
        let path = entity.single.path()
        let answer = try await post(path, endpoint: entity.single, body: ByteBuffer(bytes: item.bytes))
        if let refusal = APIClient.refusal(answer, path: path) { throw refusal }
        if let result = answer.body?["result"], answer.status == 200 || answer.status == 400 {
            let error = result["error"]?.stringValue ?? ""
            let accepted = answer.status == 200 && error.isEmpty
            return ItemResult(eventID: result["eventId"]?.stringValue,
                              error: accepted ? nil : (error.isEmpty ? "refused with HTTP \(answer.status)" : error), status: answer.status)
        }
        return wholeBatchRefused(1, answer)[0]
    }

    /// Every item refused for the reason the answer's error envelope gives.
    private func wholeBatchRefused(_ count: Int, _ answer: Answer) -> [ItemResult] {
        Array(repeating: APIClient.refusedResult(answer), count: count)
    }

    /// `{"NAME":[item,item,...]}`: the items' text copied once into a buffer of the exact size.
    static func envelopeBody(_ name: String, _ items: some Collection<EncodedJSON>) -> ByteBuffer {
        var head: [UInt8] = [UInt8(ascii: "{")]
        JSONValue.encodeString(name, into: &head)
        head.append(contentsOf: ":[".utf8)
        var size = head.count + 2 + max(0, items.count - 1)
        for item in items { size += item.bytes.count }
        var body = ByteBuffer()
        body.reserveCapacity(size)
        body.writeBytes(head)
        var first = true
        for item in items {
            if !first { body.writeInteger(UInt8(ascii: ",")) }
            first = false
            body.writeBytes(item.bytes)
        }
        body.writeBytes("]}".utf8)
        return body
    }

    /// A refused result carrying the reason the answer's error envelope gives.
    static func refusedResult(_ answer: Answer) -> ItemResult {
        let (code, message) = APIClient.envelope(answer.body)
        let reason = [code, message].compactMap { $0 }.joined(separator: ": ")
        return ItemResult(eventID: nil, error: reason.isEmpty ? "refused with HTTP \(answer.status)" : reason, status: answer.status)
    }
}
