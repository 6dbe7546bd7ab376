/// PostgreSQL's array text format (`{a,"b c",NULL}`), read and written on UTF-8 bytes.
enum PostgresArrayText {
    private static let openBrace = UInt8(ascii: "{")
    private static let closeBrace = UInt8(ascii: "}")
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// The array literal for `elements`. Every element is quoted, so text that looks like `NULL`, braces,
    /// commas or blanks stays literal text; only `nil` becomes NULL.
    static func format(_ elements: [String?]) -> String {
        // Built as bytes: quote and backslash are ASCII, so they never occur inside a multi-byte
        // character, and every other byte is copied as it is.
        var capacity = 2
        for element in elements { capacity += (element?.utf8.count ?? 4) + 3 }
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(openBrace)
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(comma) }
            guard var element else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(quote)
            element.withUTF8 { bytes in
                var start = 0
                for (j, byte) in bytes.enumerated() where byte == quote || byte == backslash {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<j]))
                    out.append(backslash)
                    start = j
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
            }
            out.append(quote)
        }
        out.append(closeBrace)
        return String(decoding: out, as: UTF8.self)
    }

    /// The elements of a one-dimensional array; NULL elements are `nil`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(PostgresTextFormatError) -> [String?] {
        var i = 0
        let n = bytes.count

        // A lower bound other than 1 is printed as a prefix like `[0:2]=`; the elements are what matter.
        if n > 0, bytes[0] == UInt8(ascii: "[") {
            while i < n, bytes[i] != UInt8(ascii: "=") { i += 1 }
            i += 1
        }
        guard i < n, bytes[i] == openBrace else {
            throw PostgresTextFormatError("not an array literal (expected '{')")
        }
        i += 1

        var elements: [String?] = []
        var scratch: [UInt8] = []
        skipBlanks(bytes, &i)
        if i < n, bytes[i] == closeBrace {
            i += 1
            return try finish(elements, bytes, i)
        }
        while true {
            skipBlanks(bytes, &i)
            guard i < n else { throw PostgresTextFormatError("unterminated array literal") }
            scratch.removeAll(keepingCapacity: true)
            if bytes[i] == openBrace {
                throw PostgresTextFormatError("multi-dimensional arrays are not supported")
            } else if bytes[i] == quote {
                i += 1
                while true {
                    guard i < n else { throw PostgresTextFormatError("unterminated quoted array element") }
                    let byte = bytes[i]
                    if byte == quote { break }
                    if byte == backslash {
                        i += 1
                        guard i < n else { throw PostgresTextFormatError("unterminated quoted array element") }
                    }
                    scratch.append(bytes[i])
                    i += 1
                }
                i += 1
                elements.append(String(decoding: scratch, as: UTF8.self))
            } else {
                var escaped = false
                var lastNonBlank = 0
                while i < n, bytes[i] != comma, bytes[i] != closeBrace {
                    if bytes[i] == backslash {
                        i += 1
                        guard i < n else { throw PostgresTextFormatError("unterminated array element") }
                        escaped = true
                        scratch.append(bytes[i])
                        lastNonBlank = scratch.count
                    } else {
                        scratch.append(bytes[i])
                        if !isBlank(bytes[i]) { lastNonBlank = scratch.count }
                    }
                    i += 1
                }
                // Unquoted elements may be followed by blanks that are not part of the value.
                scratch.removeSubrange(lastNonBlank...)
                if scratch.isEmpty { throw PostgresTextFormatError("empty unquoted array element") }
                if !escaped, isNull(scratch) {
                    elements.append(nil)
                } else {
                    elements.append(String(decoding: scratch, as: UTF8.self))
                }
            }
            skipBlanks(bytes, &i)
            guard i < n else { throw PostgresTextFormatError("unterminated array literal") }
            if bytes[i] == comma {
                i += 1
                continue
            }
            guard bytes[i] == closeBrace else {
                throw PostgresTextFormatError("unexpected character after array element")
            }
            i += 1
            return try finish(elements, bytes, i)
        }
    }

    private static func finish(
        _ elements: [String?], _ bytes: UnsafeBufferPointer<UInt8>, _ index: Int
    ) throws(PostgresTextFormatError) -> [String?] {
        var i = index
        skipBlanks(bytes, &i)
        guard i == bytes.count else { throw PostgresTextFormatError("unexpected text after array literal") }
        return elements
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private static func skipBlanks(_ bytes: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < bytes.count, isBlank(bytes[i]) { i += 1 }
    }

    private static func isNull(_ element: [UInt8]) -> Bool {
        element.count == 4
            && element[0] | 0x20 == UInt8(ascii: "n") && element[1] | 0x20 == UInt8(ascii: "u")
            && element[2] | 0x20 == UInt8(ascii: "l") && element[3] | 0x20 == UInt8(ascii: "l")
    }
}
