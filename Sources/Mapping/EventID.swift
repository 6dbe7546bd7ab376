import SyncCore

/// The deterministic `eventId` a row's delivery carries unless the mapping sets one.
///
/// Derived from the stream, the row's key and its watermark, so the same version of a row always carries
/// the same id (a redelivery is recognisable as one) and a changed row carries a new one. The key is kept
/// readable when it is id-safe, so an event can be traced to its row by eye.
public enum EventID {
    /// `stream-key-hash`: at most 256 characters of `[a-zA-Z0-9-_]`.
    public static func make(stream: String, key: String, watermark: String) -> String {
        let streamPart = sanitize(stream, limit: 64)
        let keyPart = isSafe(key) && key.utf8.count <= 96 ? key : "k" + hex(fnv1a(key))
        return "\(streamPart)-\(keyPart)-\(hex(fnv1a(stream + "\u{0}" + key + "\u{0}" + watermark)))"
    }

    static func isSafe(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
    }

    static func sanitize(_ s: String, limit: Int) -> String {
        let mapped = String(decoding: s.utf8.prefix(limit).map { isSafe(String(decoding: [$0], as: UTF8.self)) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        return mapped.isEmpty ? "stream" : mapped
    }

    /// FNV-1a, 64 bits: stable across processes and platforms (unlike `Hasher`).
    static func fnv1a(_ s: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in s.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
