import Foundation
import Synchronization

/// A regular expression compiled for texts made only of printable ASCII (bytes 0x20–0x7E), giving the
/// same matches as `NSRegularExpression` does for them.
///
/// It covers the subset of the syntax mappings use: literals, `.`, classes (`[^a-z0-9_-]`), `\s \S \d \D
/// \w \W`, escaped punctuation, groups (`(…)`, `(?:…)`), alternation, greedy and lazy `* + ? {n} {n,}
/// {n,m}`, `^` and `$`, and a leading `(?i)`. Anything else (look-around, back-references, `\b`, other
/// flags, nested sets, a repeated part that can match nothing) makes ``init(pattern:)`` return nil, and
/// the caller uses Foundation.
///
/// Exactness is by construction where it is subtle: what each single-character part (a class, `\s`, a
/// literal under `(?i)`) accepts is read off Foundation itself, by matching the part against each of the
/// 95 printable characters when the pattern is compiled. The structure is run by a backtracking machine
/// that tries alternatives in the same order as Foundation's (leftmost match, greedy or lazy as written),
/// remembering which (instruction, position) states failed so that no text takes more than
/// instructions × length steps. Restricting texts to printable ASCII leaves out line terminators, so
/// `^`, `$` and `.` mean what they say.
struct ASCIIProgram: Sendable {
    /// One step of the machine.
    enum Instruction: Sendable, Equatable {
        /// Consume one byte in the set (bit i of `low` for byte i < 64, of `high` for 64 + i).
        case byte(low: UInt64, high: UInt64)
        /// Continue at `first`; if that fails, at `second`.
        case split(first: Int, second: Int)
        case jump(Int)
        case atStart
        case atEnd
        case match
    }

    /// The longest program compiled; a larger one (say, `a{1,500}`) is left to Foundation.
    static let maxInstructions = 256
    /// The longest text run; a longer one is left to Foundation.
    static let maxTextLength = 1024

    let instructions: [Instruction]
    /// No match is empty, so `replace` can skip every subtlety of empty matches; otherwise only
    /// `matches` uses the program.
    let canReplace: Bool
    /// The bytes a match can begin with, when every match consumes at least one byte and the pattern is
    /// not anchored at the start: the search skips the positions holding any other byte without running
    /// the machine there (`\s+` is tried at blanks only, `(?i)\s*ext` at blanks and `e`s).
    let firstBytes: (low: UInt64, high: UInt64)?

    /// The program for `pattern`, or nil when it is outside the subset.
    init?(pattern: String) {
        var parser = Parser(pattern: Array(pattern.utf8))
        guard let node = parser.parseAll() else { return nil }
        var emitter = Emitter()
        emitter.emit(node)
        emitter.code.append(.match)
        guard emitter.code.count <= ASCIIProgram.maxInstructions else { return nil }
        self.instructions = emitter.code
        self.canReplace = node.minLength > 0
        let (first, passable) = node.firstBytes
        self.firstBytes = passable || emitter.code.first == .atStart ? nil : first
    }

    /// `body(bytes)` when `text` is printable ASCII and short enough, else nil.
    static func withPrintableASCII<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count <= maxTextLength, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            return body(bytes)
        }
    }

    /// The first match at or after `from`: its start and end.
    func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int) -> (start: Int, end: Int)? {
        withScratch(for: text) { visited, stack in search(text, from: from, visited: visited, stack: stack) }
    }

    /// `text` with every match replaced by `template` (literal), or nil when nothing matched.
    func replacingMatches(in text: UnsafeBufferPointer<UInt8>, with template: String) -> String? {
        withScratch(for: text) { visited, stack in
            var output: [UInt8] = []
            var copied = 0
            var replaced = false
            while copied < text.count, let found = search(text, from: copied, visited: visited, stack: stack) {
                if !replaced { output.reserveCapacity(text.count + template.utf8.count) }
                replaced = true
                output.append(contentsOf: text[copied..<found.start])
                output.append(contentsOf: template.utf8)
                copied = found.end
                // The states of the successful path did not fail: forget them all.
                visited.update(repeating: 0)
            }
            guard replaced else { return nil }
            output.append(contentsOf: text[copied...])
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// Runs `body` with the search's scratch space for `text`: a cleared bit per (instruction, position)
    /// state, and a stack with room for every state once (each is entered at most once).
    private func withScratch<T>(for text: UnsafeBufferPointer<UInt8>,
                                _ body: (UnsafeMutableBufferPointer<UInt64>, UnsafeMutableBufferPointer<Int>) -> T) -> T {
        let states = instructions.count * (text.count + 1)
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (states + 63) / 64) { visited in
            visited.initialize(repeating: 0)
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: states + 1) { stack in body(visited, stack) }
        }
    }

    /// Whether the set of bytes `low` (bytes 0-63) and `high` (64-127) holds `byte`.
    @inline(__always)
    static func set(_ low: UInt64, _ high: UInt64, contains byte: UInt8) -> Bool {
        (byte < 64 ? low & (1 << UInt64(byte)) : high & (1 << UInt64(byte - 64))) != 0
    }

    /// The leftmost match starting at or after `from`. `visited` holds one bit per (instruction, position):
    /// a state from which no match was found, whatever the start (the start does not change what follows).
    private func search(_ text: UnsafeBufferPointer<UInt8>, from: Int, visited: UnsafeMutableBufferPointer<UInt64>,
                        stack: UnsafeMutableBufferPointer<Int>) -> (start: Int, end: Int)? {
        let count = text.count
        let width = count + 1
        let anchored = instructions.first == .atStart
        var start = from
        while start <= count {
            if anchored && start > 0 { return nil }
            if let (low, high) = firstBytes {
                // No match starts at a byte outside the set, nor at the end (every match consumes one).
                while start < count, !ASCIIProgram.set(low, high, contains: text[start]) { start += 1 }
                if start == count { return nil }
            }
            var depth = 0
            stack[0] = start  // pc 0 at `start`, packed as pc * width + position
            depth = 1
            while depth > 0 {
                depth -= 1
                var state = stack[depth]
                var pc = state / width
                var position = state % width
                thread: while true {
                    state = pc * width + position
                    let (word, bit) = (state >> 6, UInt64(1) << UInt64(state & 63))
                    if visited[word] & bit != 0 { break thread }
                    visited[word] |= bit
                    switch instructions[pc] {
                    case .byte(let low, let high):
                        guard position < count else { break thread }
                        guard ASCIIProgram.set(low, high, contains: text[position]) else { break thread }
                        pc += 1
                        position += 1
                    case .split(let first, let second):
                        stack[depth] = second * width + position
                        depth += 1
                        pc = first
                    case .jump(let target):
                        pc = target
                    case .atStart:
                        guard position == 0 else { break thread }
                        pc += 1
                    case .atEnd:
                        guard position == count else { break thread }
                        pc += 1
                    case .match:
                        return (start, position)
                    }
                }
            }
            start += 1
        }
        return nil
    }
}

// MARK: - Syntax

extension ASCIIProgram {
    indirect enum Node {
        /// One byte of a set.
        case set(low: UInt64, high: UInt64)
        case atStart
        case atEnd
        case sequence([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?, lazy: Bool)

        /// The bytes the first byte a match consumes can be (a superset), and whether the node can be
        /// passed without consuming any (then what follows it may supply the first byte).
        var firstBytes: (set: (low: UInt64, high: UInt64), passable: Bool) {
            switch self {
            case .set(let low, let high): return ((low, high), false)
            case .atStart, .atEnd: return ((0, 0), true)
            case .sequence(let parts):
                var union: (low: UInt64, high: UInt64) = (0, 0)
                for part in parts {
                    let (set, passable) = part.firstBytes
                    union = (union.low | set.low, union.high | set.high)
                    if !passable { return (union, false) }
                }
                return (union, true)
            case .alternation(let options):
                var union: (low: UInt64, high: UInt64) = (0, 0)
                var passable = options.isEmpty
                for option in options {
                    let (set, optionPassable) = option.firstBytes
                    union = (union.low | set.low, union.high | set.high)
                    passable = passable || optionPassable
                }
                return (union, passable)
            case .repeated(let body, let min, _, _):
                let (set, passable) = body.firstBytes
                return (set, passable || min == 0)
            }
        }

        /// The fewest bytes a match consumes.
        var minLength: Int {
            switch self {
            case .set: 1
            case .atStart, .atEnd: 0
            case .sequence(let parts): parts.reduce(0) { $0 + $1.minLength }
            case .alternation(let options): options.map(\.minLength).min() ?? 0
            case .repeated(let body, let min, _, _): body.minLength * min
            }
        }
    }

    /// A recursive-descent parser for the subset; nil anywhere outside it.
    struct Parser {
        let pattern: [UInt8]
        var index = 0
        var caseInsensitive = false

        init(pattern: [UInt8]) { self.pattern = pattern }

        mutating func parseAll() -> Node? {
            if pattern.starts(with: Array("(?i)".utf8)) {
                caseInsensitive = true
                index = 4
            }
            guard let node = parseAlternation(), index == pattern.count else { return nil }
            return node
        }

        private var current: UInt8? { index < pattern.count ? pattern[index] : nil }

        private mutating func parseAlternation() -> Node? {
            var options: [Node] = []
            while true {
                guard let sequence = parseSequence() else { return nil }
                options.append(sequence)
                guard current == UInt8(ascii: "|") else { break }
                index += 1
            }
            return options.count == 1 ? options[0] : .alternation(options)
        }

        private mutating func parseSequence() -> Node? {
            var parts: [Node] = []
            while let byte = current, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
                guard let atom = parseAtom(), let part = parseQuantifier(on: atom) else { return nil }
                parts.append(part)
            }
            return parts.count == 1 ? parts[0] : .sequence(parts)
        }

        private mutating func parseAtom() -> Node? {
            guard let byte = current else { return nil }
            let start = index
            switch byte {
            case UInt8(ascii: "("):
                index += 1
                if current == UInt8(ascii: "?") {
                    // Only the non-capturing group: no look-around, named groups or flags in the middle.
                    guard index + 1 < pattern.count, pattern[index + 1] == UInt8(ascii: ":") else { return nil }
                    index += 2
                }
                guard let inner = parseAlternation(), current == UInt8(ascii: ")") else { return nil }
                index += 1
                return inner
            case UInt8(ascii: "^"):
                index += 1
                return .atStart
            case UInt8(ascii: "$"):
                index += 1
                return .atEnd
            case UInt8(ascii: "["):
                index += 1
                if current == UInt8(ascii: "^") { index += 1 }
                // A `]` first, nested sets, `[:alpha:]`, `&&`, `--` and `\Q…\E` have subtle meanings: not here.
                guard current != UInt8(ascii: "]") else { return nil }
                var previous: UInt8 = 0
                while let inner = current, inner != UInt8(ascii: "]") {
                    if inner == UInt8(ascii: "[") { return nil }
                    if (inner == UInt8(ascii: "&") || inner == UInt8(ascii: "-")) && previous == inner { return nil }
                    if inner == UInt8(ascii: "\\") {
                        guard index + 1 < pattern.count, pattern[index + 1] != UInt8(ascii: "Q") else { return nil }
                        index += 1
                    }
                    previous = inner
                    index += 1
                }
                guard current == UInt8(ascii: "]") else { return nil }
                index += 1
                return probe(start..<index)
            case UInt8(ascii: "\\"):
                guard index + 1 < pattern.count else { return nil }
                let escaped = pattern[index + 1]
                let isClass = Array("sSdDwW".utf8).contains(escaped)
                let isLetterOrDigit = (escaped | 0x20 >= UInt8(ascii: "a") && escaped | 0x20 <= UInt8(ascii: "z"))
                    || (escaped >= UInt8(ascii: "0") && escaped <= UInt8(ascii: "9"))
                let isPunctuation = escaped >= 0x21 && escaped < 0x7F && !isLetterOrDigit
                guard isClass || isPunctuation else { return nil }
                index += 2
                return probe(start..<index)
            case UInt8(ascii: "."):
                index += 1
                return probe(start..<index)
            default:
                // Metacharacters out of place, `{`/`}`/`]` as literals, control characters, non-ASCII.
                guard byte >= 0x20, byte < 0x7F, !Array("*+?{}]".utf8).contains(byte) else { return nil }
                index += 1
                return probe(start..<index)
            }
        }

        private mutating func parseQuantifier(on atom: Node) -> Node? {
            guard let byte = current else { return atom }
            var min = 0
            var max: Int?
            switch byte {
            case UInt8(ascii: "*"): index += 1
            case UInt8(ascii: "+"): index += 1; min = 1
            case UInt8(ascii: "?"): index += 1; max = 1
            case UInt8(ascii: "{"):
                index += 1
                guard let low = number() else { return nil }
                min = low
                max = low
                if current == UInt8(ascii: ",") {
                    index += 1
                    max = current == UInt8(ascii: "}") ? nil : number()
                    if max == nil && current != UInt8(ascii: "}") { return nil }
                }
                guard current == UInt8(ascii: "}") else { return nil }
                index += 1
                if let max, max < min { return nil }
            default:
                return atom
            }
            var lazy = false
            if current == UInt8(ascii: "?") {
                lazy = true
                index += 1
            }
            // Possessive (`*+`) and doubled quantifiers are not in the subset.
            if let next = current, Array("*+?{".utf8).contains(next) { return nil }
            switch atom {
            case .atStart, .atEnd: return nil
            default: break
            }
            // A loop whose body can match nothing is where engines differ (when to stop iterating).
            if atom.minLength == 0 { return nil }
            guard min <= 64, (max ?? 0) <= 64 else { return nil }
            return .repeated(atom, min: min, max: max, lazy: lazy)
        }

        private mutating func number() -> Int? {
            var value = 0
            var digits = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                index += 1
                guard digits <= 3 else { return nil }
            }
            return digits > 0 ? value : nil
        }

        /// The set of printable characters that the one-character part `pattern[range]` matches, as
        /// Foundation matches it (with `(?i)` when the pattern has it).
        private func probe(_ range: Range<Int>) -> Node? {
            let part = String(decoding: pattern[range], as: UTF8.self)
            guard let set = ASCIIProgram.characterSet(of: part, caseInsensitive: caseInsensitive) else { return nil }
            return .set(low: set.low, high: set.high)
        }
    }

    /// Sets already read off Foundation, by part and flag.
    private static let probed = Mutex<[String: (low: UInt64, high: UInt64)]>([:])

    static func characterSet(of part: String, caseInsensitive: Bool) -> (low: UInt64, high: UInt64)? {
        let key = (caseInsensitive ? "i:" : "-:") + part
        if let known = probed.withLock({ $0[key] }) { return known }
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(part))$", options: caseInsensitive ? [.caseInsensitive] : []) else {
            return nil
        }
        var low: UInt64 = 0
        var high: UInt64 = 0
        for byte in UInt8(0x20)..<UInt8(0x7F) {
            let text = String(UnicodeScalar(byte))
            guard let found = regex.firstMatch(in: text, range: NSRange(location: 0, length: 1)), found.range.length == 1 else { continue }
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
        }
        probed.withLock { $0[key] = (low, high) }
        return (low, high)
    }

    /// Lays nodes out as instructions.
    struct Emitter {
        var code: [Instruction] = []

        mutating func emit(_ node: Node) {
            switch node {
            case .set(let low, let high): code.append(.byte(low: low, high: high))
            case .atStart: code.append(.atStart)
            case .atEnd: code.append(.atEnd)
            case .sequence(let parts): for part in parts { emit(part) }
            case .alternation(let options):
                // split L1, next; L1: a; jump end; next: split L2, next'; … ; last option falls through.
                var jumpsToEnd: [Int] = []
                for (offset, option) in options.enumerated() {
                    if offset < options.count - 1 {
                        let split = code.count
                        code.append(.split(first: split + 1, second: -1))
                        emit(option)
                        jumpsToEnd.append(code.count)
                        code.append(.jump(-1))
                        code[split] = .split(first: split + 1, second: code.count)
                    } else {
                        emit(option)
                    }
                }
                for jump in jumpsToEnd { code[jump] = .jump(code.count) }
            case .repeated(let body, let min, let max, let lazy):
                for _ in 0..<min { emit(body) }
                if let max {
                    // (?:body(?:body(?:…)?)?)? for the optional ones, every split leaving to the end.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(code.count)
                        code.append(.split(first: -1, second: -1))
                        emit(body)
                    }
                    let end = code.count
                    for split in splits { code[split] = choice(take: split + 1, skip: end, lazy: lazy) }
                } else {
                    // loop: split body, end; body; jump loop; end
                    let loop = code.count
                    code.append(.split(first: -1, second: -1))
                    emit(body)
                    code.append(.jump(loop))
                    code[loop] = choice(take: loop + 1, skip: code.count, lazy: lazy)
                }
            }
        }

        private func choice(take: Int, skip: Int, lazy: Bool) -> Instruction {
            lazy ? .split(first: skip, second: take) : .split(first: take, second: skip)
        }
    }
}
