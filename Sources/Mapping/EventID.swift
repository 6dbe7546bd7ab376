import SyncCore

/// The deterministic `eventId` a row's delivery carries unless the mapping sets one.
///
/// Derived from the stream, the row's key and its watermark, so the same version of a row always carries
/// the same id (a redelivery is recognisable as one) and a changed row carries a new one. The key is kept
/// readable when it is id-safe, so an event can be traced to its row by eye.
public enum EventID {
    /// `stream-key-hash`: at most 256 characters of `[a-zA-Z0-9-_]`.
    public static func make(stream: String, key: String, watermark: String) -> String {
        make(prefix: prefix(stream: stream), streamHash: streamHash(stream), key: key, watermark: watermark)
    }

    /// The id from the parts that depend on the stream alone (`prefix(stream:)`, `streamHash(_:)`),
    /// worked out once per stream; the same text as `make(stream:key:watermark:)`.
    static func make(prefix: String, streamHash: UInt64, key: String, watermark: String) -> String {
        var id: [UInt8] = []
        append(prefix: Array(prefix.utf8), streamHash: streamHash, key: key, watermark: watermark, into: &id)
        return String(decoding: id, as: UTF8.self)
    }

    /// Appends the id's text (the same as `make`'s) to `out`: the mapper writes it straight into the item.
    static func append(prefix: [UInt8], streamHash: UInt64, key: String, watermark: String, into out: inout [UInt8]) {
        var key = key
        var watermark = watermark
        key.withUTF8 { key in
            watermark.withUTF8 { watermark in
                var hash = streamHash
                hash = fnv1a(0, hash)
                hash = fnv1a(key, hash)
                hash = fnv1a(0, hash)
                hash = fnv1a(watermark, hash)
                out.append(contentsOf: prefix)
                if !key.isEmpty && key.count <= 96 && key.allSatisfy(isSafe) {
                    out.append(contentsOf: key)
                } else {
                    out.append(UInt8(ascii: "k"))
                    appendHex(fnv1a(key, offsetBasis), into: &out)
                }
                out.append(UInt8(ascii: "-"))
                appendHex(hash, into: &out)
            }
        }
    }

    /// `stream-`, the stream's name made id-safe (at most 64 characters) and its separator.
    static func prefix(stream: String) -> String {
        sanitize(stream, limit: 64) + "-"
    }

    /// The hash state after the stream's name, where every id of the stream starts hashing.
    static func streamHash(_ stream: String) -> UInt64 {
        fnv1a(stream.utf8, offsetBasis)
    }

    static func isSafe(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(isSafe)
    }

    static func isSafe(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
    }

    static func sanitize(_ s: String, limit: Int) -> String {
        let mapped = String(decoding: s.utf8.prefix(limit).map { isSafe($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        return mapped.isEmpty ? "stream" : mapped
    }

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// FNV-1a, 64 bits: stable across processes and platforms (unlike `Hasher`).
    static func fnv1a(_ s: String) -> UInt64 {
        fnv1a(s.utf8, offsetBasis)
    }

    /// FNV-1a continued from `hash` over `bytes`.
    static func fnv1a(_ bytes: String.UTF8View, _ hash: UInt64) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = fnv1a(byte, hash) }
        return hash
    }

    /// FNV-1a continued from `hash` over contiguous bytes.
    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>, _ hash: UInt64) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = fnv1a(byte, hash) }
        return hash
    }

    private static func fnv1a(_ byte: UInt8, _ hash: UInt64) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Appends `value` as 16 lower-case hex digits.
    static func appendHex(_ value: UInt64, into out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            out.append(digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}
