/// Helpers that write SQL text: literals and deterministic pseudo-random expressions.
enum SQLText {
    /// `text` as an SQL string literal; an `E''` literal when it holds backslashes or control characters,
    /// so the result does not depend on `standard_conforming_strings`.
    static func literal(_ text: String) -> String {
        var escaped = ""
        var needsEscapeSyntax = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "'": escaped += "''"
            case "\\": escaped += "\\\\"; needsEscapeSyntax = true
            case "\n": escaped += "\\n"; needsEscapeSyntax = true
            case "\t": escaped += "\\t"; needsEscapeSyntax = true
            case "\r": escaped += "\\r"; needsEscapeSyntax = true
            default:
                precondition(scalar.value != 0, "PostgreSQL text cannot hold NUL")
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    escaped += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                    needsEscapeSyntax = true
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return needsEscapeSyntax ? "E'\(escaped)'" : "'\(escaped)'"
    }

    /// `ARRAY[...]` of text literals (`nil` is NULL), for picking one by index.
    static func array(_ values: [String?]) -> String {
        "ARRAY[" + values.map { $0.map(literal) ?? "NULL" }.joined(separator: ", ") + "]::text[]"
    }

    /// A pick from `values` by a non-negative integer expression.
    static func pick(_ values: [String?], by index: String) -> String {
        "(\(array(values)))[1 + (\(index)) % \(values.count)]"
    }

    /// 28 pseudo-random bits (a non-negative `int`) from the hexadecimal md5 text in `md5`; `slot` 0...3
    /// selects independent bits of the same digest.
    static func bits(_ md5: String, slot: Int) -> String {
        precondition((0...3).contains(slot))
        return "('x' || substr(\(md5), \(slot * 7 + 1), 7))::bit(28)::int"
    }

    /// The md5 digest of `key`, a salt and the seed: the source of every pseudo-random choice.
    /// md5 is used because, unlike `random()` or `hashtext`, it is fixed across servers and versions.
    static func digest(_ key: String, salt: String, seed: Int) -> String {
        "md5(\(key) || ':\(salt):\(seed)')"
    }

    /// `expr` as zero-padded decimal text at least `width` digits wide (never truncated, unlike `lpad`).
    static func padded(_ expr: String, _ width: Int) -> String {
        "lpad((\(expr))::text, greatest(\(width), length((\(expr))::text)), '0')"
    }
}
