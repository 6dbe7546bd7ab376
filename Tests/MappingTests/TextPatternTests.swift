import Foundation
@testable import Mapping
import Testing
import TestSupport

@Suite("Regular expressions of mappings: the printable-ASCII program agrees with Foundation")
struct TextPatternTests {
    /// What Foundation answers, the reference every result is held to.
    func reference(_ pattern: String, _ text: String) throws -> (matches: Bool, replaced: [String]) {
        let regex = try NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        let replaced = TextPatternTests.templates.map { regex.stringByReplacingMatches(in: text, range: range, withTemplate: $0) }
        return (regex.firstMatch(in: text, range: range) != nil, replaced)
    }

    static let templates = ["", "-", "<$0>", "X\\$"]

    func check(_ pattern: TextPattern, _ text: String) throws {
        let expected = try reference(pattern.source, text)
        #expect(pattern.matches(text) == expected.matches, "matches \(pattern.source.debugDescription) in \(text.debugDescription)")
        for (template, replaced) in zip(TextPatternTests.templates, expected.replaced) {
            #expect(pattern.replacingMatches(in: text, with: template) == replaced,
                    "replace \(pattern.source.debugDescription) in \(text.debugDescription) with \(template.debugDescription)")
        }
    }

    @Test("the demo's patterns and the usual ones run as programs, and agree on the demo's awkward values")
    func demoPatterns() throws {
        let patterns = [
            "\\s+", "[^a-zA-Z0-9._-].*$", "[^a-zA-Z0-9_-]", "_", "^\\s*[^@\\s]+@[^@\\s]+\\.[^@\\s]+\\s*$",
            "(?i)\\s*ext\\.?\\s*\\d+$", "^[A-Za-z0-9_-]+$", "^(?:\\+?1[-. ]?)?\\(?\\d{3}\\)?[-. ]?\\d{3}[-. ]?\\d{4}$",
            "a|b|cd", "x{2,}", "(?:ab)+?c",
        ]
        let texts = [
            "", " ", "Samsung Internet", "120.0.6099.129 (Official Build) (64-bit)", "BF 2024", "retención",
            "jane.doe@example.com", " jane@example.com ", "not-an-email", "a@b@c.d", "+1 415 555 0100",
            "+1 415 555 0100 ext. 42", "(415) 555-0100 EXT42", "415.555.0100x7", "Baden-Württemberg", "東京都",
            "H2X 1Y4", "en_US", "tab\there", "line\nbreak", "😀 emoji", "abcdab", "xxxx", "ababc", "ext",
        ]
        for source in patterns {
            let pattern = try TextPattern(source)
            #expect(pattern.program != nil, "\(source) is in the subset")
            for text in texts { try check(pattern, text) }
        }
    }

    @Test("patterns outside the subset are left to Foundation, with Foundation's results")
    func outsideTheSubset() throws {
        let patterns = [
            "\\bword", "(?<=a)b", "(a)\\1", "(?x) a b", "a(?i)b", "[[a-z]&&[^q]]", "(a*)*", "(a|)+b", "a{1,500}",
            "\\p{L}+", "a*+", "[]a]", "\\Qa.b\\E", "(?s).", "\\n", "x\\Z",
        ]
        for source in patterns {
            let pattern = try TextPattern(source)
            #expect(pattern.program == nil, "\(source) is outside the subset")
            for text in ["", "a", "word", "ab", "aab", "a.b", "q", "]", "x", "é", "aaa", "a b"] { try check(pattern, text) }
        }
    }

    @Test("an invalid pattern is refused as Foundation refuses it")
    func invalid() {
        for source in ["(", "[a-", "a{2,1}", "a{,3}", "*a", "a)"] {
            #expect(throws: (any Error).self, "\(source)") { try TextPattern(source) }
        }
    }

    @Test("patterns and texts drawn at random from the subset's grammar: every answer equals Foundation's")
    func differential() throws {
        var random = SeededRandom(seed: 0x5EED_7E57)
        var programs = 0
        var compared = 0
        for _ in 0..<1000 {
            let source = randomPattern(&random)
            guard let pattern = try? TextPattern(source) else {
                // Only where Foundation refuses it too.
                #expect(throws: (any Error).self, "\(source)") { try NSRegularExpression(pattern: source) }
                continue
            }
            if pattern.program != nil { programs += 1 }
            for _ in 0..<12 {
                try check(pattern, randomText(&random))
                compared += 1
            }
        }
        // The run must exercise the programs, not only the fallback.
        #expect(programs > 600, "\(programs) of 1000 patterns compiled to programs")
        #expect(compared > 8_000)
    }

    @Test("a pattern that backtracks badly still answers in steps bounded by its length times the text's")
    func noExponentialBacktracking() throws {
        let pattern = try TextPattern("^(?:a|aa)+$")
        #expect(pattern.program != nil)
        let text = String(repeating: "a", count: 600) + "b"
        #expect(!pattern.matches(text))
        #expect(pattern.matches(String(repeating: "a", count: 600)))
    }

    // MARK: Generators

    func randomPattern(_ random: inout SeededRandom) -> String {
        var pattern = ""
        if random.chance(0.2) { pattern += "(?i)" }
        if random.chance(0.25) { pattern += "^" }
        pattern += randomAlternation(&random, depth: 0)
        if random.chance(0.25) { pattern += "$" }
        return pattern
    }

    func randomAlternation(_ random: inout SeededRandom, depth: Int) -> String {
        let options = random.chance(0.2) ? 2 + random.below(2) : 1
        return (0..<options).map { _ in randomSequence(&random, depth: depth) }.joined(separator: "|")
    }

    func randomSequence(_ random: inout SeededRandom, depth: Int) -> String {
        // Inside a group only bounded repeats: a loop of loops makes Foundation (the reference) backtrack
        // for minutes on a short text.
        (0..<(1 + random.below(4))).map { _ in randomAtom(&random, depth: depth) + randomQuantifier(&random, bounded: depth > 0) }.joined()
    }

    func randomAtom(_ random: inout SeededRandom, depth: Int) -> String {
        let atoms = [
            "a", "b", "e", "x", "t", "A", "E", "1", "5", " ", "@", "-", "_", ".", "\\.", "\\-", "\\+", "\\s", "\\S",
            "\\d", "\\D", "\\w", "\\W", "[ab]", "[^a-z]", "[a-zA-Z0-9._-]", "[^@\\s]", "[0-9]", "[-x]", "[\\s.]", "#",
        ]
        if depth < 2 && random.chance(0.12) {
            let open = random.chance(0.5) ? "(" : "(?:"
            return open + randomAlternation(&random, depth: depth + 1) + ")"
        }
        return atoms[random.below(atoms.count)]
    }

    func randomQuantifier(_ random: inout SeededRandom, bounded: Bool) -> String {
        let quantifiers = bounded
            ? ["", "", "", "?", "{2}", "{1,3}", "??", "{0,2}?"]
            : ["", "", "", "", "*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?", "??", "{0,2}?"]
        return quantifiers[random.below(quantifiers.count)]
    }

    func randomText(_ random: inout SeededRandom) -> String {
        let alphabet: [String] = ["a", "b", "e", "x", "t", "A", "E", "X", "1", "5", " ", " ", ".", "@", "-", "_", "#", "+"]
        let rare: [String] = ["\t", "\n", "é", "😀", "\u{00A0}"]
        return (0..<random.below(13)).map { _ in
            random.chance(0.03) ? rare[random.below(rare.count)] : alphabet[random.below(alphabet.count)]
        }.joined()
    }
}
