import SyncCore

/// The per-item results of a `many-*` answer, read straight from its bytes.
///
/// A batch's answer is `{"errorCount": N, "results": [{"eventId": "...", "error": ""}, ...]}` with one
/// result per item: a thousand small objects. Parsed as a tree, each becomes a dictionary with two strings
/// that is read once and freed, about 3% of the connector's samples on a metadata stream; this walks
/// the text once and keeps only each result's `eventId` and `error`.
///
/// The walk is as strict as `JSONParser`: strings and numbers are read by its rules, every value it passes
/// over is checked, a repeated key is refused, and nothing may follow the top-level object. When the text
/// is not such an object (no `results` array, a result that is not an object, malformed JSON), it gives
/// `nil` and the caller reads the answer as a tree, which says what is wrong with it.
enum BatchAnswer {
    /// One result: its `eventId` and its `error` (`nil` when absent, `null` or not a string, as the tree
    /// reading treats them).
    struct Result: Equatable {
        var eventID: String?
        var error: String?
    }

    /// The results of a `many-*` answer's text, in order; `nil` when the text is not an object with a
    /// `results` array of objects.
    static func results(in bytes: UnsafeBufferPointer<UInt8>) -> [Result]? {
        var walker = Walker(bytes: bytes)
        return try? walker.document()
    }

    /// A cursor over the answer; every method consumes a complete token or throws.
    private struct Walker {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        struct NotABatchAnswer: Error {}

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func document() throws -> [Result] {
            skipWhitespace()
            var results: [Result]?
            var keys: Set<String> = []
            try members { key, walker throws in
                guard keys.insert(key).inserted else { throw NotABatchAnswer() }
                if key == "results" { results = try walker.resultArray() } else { try walker.skipValue() }
            }
            skipWhitespace()
            guard index == bytes.count, let results else { throw NotABatchAnswer() }
            return results
        }

        mutating func resultArray() throws -> [Result] {
            guard peek == UInt8(ascii: "[") else { throw NotABatchAnswer() }
            var results: [Result] = []
            try elements { walker throws in
                var result = Result()
                // Repeated keys are refused as the parser refuses them, without a set per result: the two
                // keys read are tracked as flags, any others (there are none in the contract) in a list.
                var (hasEventID, hasError) = (false, false)
                var others: [String] = []
                try walker.members { key, walker throws in
                    switch key {
                    case "eventId":
                        guard !hasEventID else { throw NotABatchAnswer() }
                        hasEventID = true
                        result.eventID = try walker.stringOrOther()
                    case "error":
                        guard !hasError else { throw NotABatchAnswer() }
                        hasError = true
                        result.error = try walker.stringOrOther()
                    default:
                        guard !others.contains(key) else { throw NotABatchAnswer() }
                        others.append(key)
                        try walker.skipValue()
                    }
                }
                results.append(result)
            }
            return results
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws {
            guard peek == byte else { throw NotABatchAnswer() }
            index += 1
        }

        /// An object's members; `body` reads each value (the cursor is at its first byte).
        mutating func members(_ body: (String, inout Walker) throws -> Void) throws {
            try container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { walker throws in
                guard walker.peek == UInt8(ascii: "\"") else { throw NotABatchAnswer() }
                let key = try JSONParser.parseString(in: walker.bytes, at: &walker.index)
                walker.skipWhitespace()
                try walker.expect(UInt8(ascii: ":"))
                walker.skipWhitespace()
                try body(key, &walker)
            }
        }

        /// An array's elements; `body` reads each (the cursor is at its first byte).
        mutating func elements(_ body: (inout Walker) throws -> Void) throws {
            try container(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), body)
        }

        /// `open`, entries that `entry` reads (each from its first byte) separated by commas, then `close`;
        /// no trailing comma.
        mutating func container(open: UInt8, close: UInt8, _ entry: (inout Walker) throws -> Void) throws {
            try enter()
            try expect(open)
            skipWhitespace()
            if peek == close {
                index += 1
                depth -= 1
                return
            }
            while true {
                skipWhitespace()
                try entry(&self)
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(close)
                depth -= 1
                return
            }
        }

        mutating func enter() throws {
            depth += 1
            guard depth <= JSONParser.maximumDepth else { throw NotABatchAnswer() }
        }

        /// A string's text, or `nil` after passing over any other value.
        mutating func stringOrOther() throws -> String? {
            if peek == UInt8(ascii: "\"") { return try JSONParser.parseString(in: bytes, at: &index) }
            try skipValue()
            return nil
        }

        mutating func skipValue() throws {
            guard let byte = peek else { throw NotABatchAnswer() }
            switch byte {
            case UInt8(ascii: "{"):
                var keys: Set<String> = []
                try members { key, walker throws in
                    guard keys.insert(key).inserted else { throw NotABatchAnswer() }
                    try walker.skipValue()
                }
            case UInt8(ascii: "["): try elements { walker throws in try walker.skipValue() }
            case UInt8(ascii: "\""): _ = try JSONParser.parseString(in: bytes, at: &index)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try JSONParser.parseNumber(in: bytes, at: &index)
            default: throw NotABatchAnswer()
            }
        }

        mutating func literal(_ text: StaticString) throws {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw NotABatchAnswer() }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { throw NotABatchAnswer() }
            index += count
        }
    }
}
