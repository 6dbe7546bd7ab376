/// Durations written as people write them: `500ms`, `30s`, `5m`, `1h30m`, `2d`.
enum DurationText {
    /// The duration `text` denotes, or `nil` when it is not one.
    static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var number = ""
        var unit = ""
        var parts: [(Int64, String)] = []
        for ch in text.trimmingCharacters(in: .whitespaces) {
            if ch.isNumber {
                if !unit.isEmpty {
                    guard let n = Int64(number) else { return nil }
                    parts.append((n, unit))
                    number = ""
                    unit = ""
                }
                number.append(ch)
            } else if ch.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard let last = Int64(number), !unit.isEmpty else { return nil }
        parts.append((last, unit))
        for (n, u) in parts {
            switch u {
            case "ms": total += .milliseconds(n)
            case "s": total += .seconds(n)
            case "m": total += .seconds(n * 60)
            case "h": total += .seconds(n * 3600)
            case "d": total += .seconds(n * 86_400)
            default: return nil
            }
        }
        return total
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> Substring {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

extension Set where Element == Character {
    fileprivate static var whitespaces: Set<Character> { [" ", "\t"] }
}
