import Foundation

/// Results of `replace` steps for recently seen texts.
///
/// The columns such steps clean (browsers, campaigns, job titles, phone formats) repeat a few values
/// over millions of rows, and a regular expression costs microseconds per call where a lookup costs
/// tens of nanoseconds. Keyed by the pattern's text and options, not the expression's identity, so a
/// freed and reallocated expression can never be served another one's results. Texts longer than
/// `maxTextLength` are not kept.
struct ReplaceCache: Sendable {
    struct Key: ExactKey {
        var pattern: String
        var options: UInt
        var template: String
        var text: String

        var exactHash: Int {
            ExactHash.mix(UInt64(bitPattern: Int64(ExactHash.text(text, tag: 1) ^ ExactHash.text(pattern, tag: 2) &* 31 ^ ExactHash.text(template, tag: 3) &* 961)),
                          tag: UInt64(options))
        }

        func isExactly(_ other: Key) -> Bool {
            options == other.options && ExactHash.same(text, other.text) && ExactHash.same(pattern, other.pattern)
                && ExactHash.same(template, other.template)
        }
    }

    /// The longest text (in UTF-8 bytes) whose result is kept. Default: 256.
    let maxTextLength: Int
    private let results: RecentResults<Key, String>

    /// A table of `capacity` entries at most (default 4,096).
    init(capacity: Int = 4096, maxTextLength: Int = 256) {
        self.maxTextLength = maxTextLength
        self.results = RecentResults(capacity: capacity)
    }

    /// The process-wide cache the `replace` steps share.
    static let shared = ReplaceCache()

    /// `text` with every match of `regex` replaced by `template`, from the table when it was seen before.
    func replace(_ regex: NSRegularExpression, template: String, in text: String) -> String {
        guard text.utf8.count <= maxTextLength else { return ReplaceCache.compute(regex, template, text) }
        let key = Key(pattern: regex.pattern, options: regex.options.rawValue, template: template, text: text)
        return results.value(for: key) { ReplaceCache.compute(regex, template, text) }
    }

    private static func compute(_ regex: NSRegularExpression, _ template: String, _ text: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}
