extension JSONValue {
    /// Appends the compact JSON text of this value (no insignificant whitespace) to `buffer`.
    ///
    /// Strings are written as UTF-8 with only the escapes JSON requires (`"`, `\`, control characters);
    /// `/` and non-ASCII text are written raw. Doubles use the shortest text that parses back to the
    /// same value; NaN and infinities, which JSON cannot express, are written as `null`.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .null:
            buffer.append(contentsOf: JSONValue.nullBytes)
        case .bool(let value):
            buffer.append(contentsOf: value ? JSONValue.trueBytes : JSONValue.falseBytes)
        case .int(let value):
            JSONValue.encodeInteger(value, into: &buffer)
        case .double(let value):
            JSONValue.encodeDouble(value, into: &buffer)
        case .string(let value):
            JSONValue.encodeString(value, into: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                element.encode(into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in object {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.encodeString(key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                value.encode(into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// The compact JSON text of this value as UTF-8 bytes.
    public var jsonBytes: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        encode(into: &buffer)
        return buffer
    }

    /// The compact JSON text of this value.
    public var jsonString: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// The JSON text of this value with one member or element per line, indented by `indent` spaces per
    /// level (default 2) and `": "` after keys; empty arrays and objects stay on one line as `[]` / `{}`.
    public func prettyPrinted(indent: Int = 2) -> String {
        var buffer: [UInt8] = []
        prettyEncode(into: &buffer, indent: max(0, indent), level: 0)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends `string` as a quoted, escaped JSON string to `buffer`, for callers that write JSON text
    /// directly instead of building a `JSONValue` first.
    public static func encodeString(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        // Escaping works on the contiguous UTF-8 bytes; most strings need no escape and are copied in runs.
        var contiguous = string
        contiguous.withUTF8 { appendEscaped($0, into: &buffer) }
        buffer.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if runStart < index {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            }
            buffer.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "r"))
            case 0x08: buffer.append(UInt8(ascii: "b"))
            case 0x0C: buffer.append(UInt8(ascii: "f"))
            default:
                buffer.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                buffer.append(hexDigits[Int(byte >> 4)])
                buffer.append(hexDigits[Int(byte & 0x0F)])
            }
            index += 1
            runStart = index
        }
        if runStart < count {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        }
    }

    private static func encodeInteger(_ value: Int64, into buffer: inout [UInt8]) {
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        // Work on the magnitude as UInt64 so that Int64.min needs no special case.
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { buffer.append(UInt8(ascii: "-")) }
            var position = count - 1
            while position >= 0 {
                buffer.append(raw[position])
                position -= 1
            }
        }
    }

    private static func encodeDouble(_ value: Double, into buffer: inout [UInt8]) {
        guard value.isFinite else {
            buffer.append(contentsOf: nullBytes)
            return
        }
        // Swift's description is the shortest text that round-trips (e.g. "0.1", "1e-07", "5e-324"),
        // and every form it produces for a finite value is valid JSON.
        buffer.append(contentsOf: value.description.utf8)
    }

    private func prettyEncode(into buffer: inout [UInt8], indent: Int, level: Int) {
        switch self {
        case .array(let elements) where !elements.isEmpty:
            buffer.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.append(UInt8(ascii: "\n"))
                JSONValue.appendIndent(indent * (level + 1), into: &buffer)
                element.prettyEncode(into: &buffer, indent: indent, level: level + 1)
            }
            buffer.append(UInt8(ascii: "\n"))
            JSONValue.appendIndent(indent * level, into: &buffer)
            buffer.append(UInt8(ascii: "]"))
        case .object(let object) where object.count > 0:
            buffer.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in object {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                buffer.append(UInt8(ascii: "\n"))
                JSONValue.appendIndent(indent * (level + 1), into: &buffer)
                JSONValue.encodeString(key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                buffer.append(UInt8(ascii: " "))
                value.prettyEncode(into: &buffer, indent: indent, level: level + 1)
            }
            buffer.append(UInt8(ascii: "\n"))
            JSONValue.appendIndent(indent * level, into: &buffer)
            buffer.append(UInt8(ascii: "}"))
        default:
            encode(into: &buffer)
        }
    }

    private static func appendIndent(_ count: Int, into buffer: inout [UInt8]) {
        for _ in 0..<count { buffer.append(UInt8(ascii: " ")) }
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
