#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Identifiers the sandbox hands out, shaped like the vendor's.
enum SandboxIdentifiers {
    private static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    /// A ULID: 26 upper-case Crockford base-32 characters, 48 bits of milliseconds then 80 random bits,
    /// so it matches the conversation id pattern `^[A-Z0-9]+$` like the vendor's ids do.
    static func ulid() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let milliseconds = UInt64(time.tv_sec) &* 1000 &+ UInt64(time.tv_nsec / 1_000_000)
        let (randomLow, random) = SandboxIdentifiers.randomBits()
        let randomHigh = random & 0xFFFF
        // 128 bits: 48 time | 16 random | 64 random, written as 26 groups of 5 bits (the first has 3).
        let high = (milliseconds << 16) | randomHigh
        let low = randomLow
        var output = [UInt8](repeating: 0, count: 26)
        for position in 0..<26 {
            let shift = 125 - position * 5
            let bits: UInt64
            if shift >= 64 {
                bits = high >> UInt64(shift - 64)
            } else if shift > 59 {
                bits = (high << UInt64(64 - shift)) | (low >> UInt64(shift))
            } else {
                bits = low >> UInt64(shift)
            }
            output[position] = crockford[Int(bits & 0x1F)]
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A random version-4 UUID in lower-case text, e.g. `5484e507-feaf-41ec-bfc1-fda566fa9333`.
    static func uuid() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let (a, b) = SandboxIdentifiers.randomBits()
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: a >> UInt64(index * 8))
            bytes[8 + index] = UInt8(truncatingIfNeeded: b >> UInt64(index * 8))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var output: [UInt8] = []
        output.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { output.append(UInt8(ascii: "-")) }
            output.append(hex[Int(byte >> 4)])
            output.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// 128 bits from the system's generator, taken from a pool refilled 4 KiB at a time: one call to the
    /// system per 256 identifiers, where drawing each from it took two calls (and a transcripts sync
    /// asks for an identifier per request).
    static func randomBits() -> (UInt64, UInt64) {
        pool.withLock { pool in
            if pool.next + 2 > pool.words.count {
                pool.words.withUnsafeMutableBytes(SandboxIdentifiers.fillRandom)
                pool.next = 0
            }
            defer { pool.next += 2 }
            return (pool.words[pool.next], pool.words[pool.next + 1])
        }
    }

    /// Fills `buffer` from the kernel's generator (the one behind `SystemRandomNumberGenerator`), read
    /// through `/dev/urandom` in one call; byte by byte from `SystemRandomNumberGenerator` when that file
    /// cannot be read.
    private static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        var filled = 0
        if urandom >= 0 {
            while filled < buffer.count {
                let got = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
                if got > 0 {
                    filled += got
                } else if got < 0, errno == EINTR {
                    continue
                } else {
                    break
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        while filled < buffer.count {
            buffer[filled] = generator.next()
            filled += 1
        }
    }

    /// Opened once, for the life of the process.
    private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    private struct Pool {
        var words = [UInt64](repeating: 0, count: 512)
        /// The first word not handed out; past the end until the first fill.
        var next = 512
    }

    private static let pool = Mutex(Pool())
}
