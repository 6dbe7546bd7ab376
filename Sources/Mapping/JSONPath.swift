public import SyncCore

/// A path into a JSON value: `$.tier`, `$.customer.address[0]`, `$['key with spaces']`.
///
/// Only member and index steps: a path names one value, so a mapping stays predictable (no wildcards or
/// filters that could yield several).
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step down.
    public enum Component: Sendable, Hashable {
        /// The member of an object with this name.
        case member(String)
        /// The element of an array at this zero-based position.
        case index(Int)
    }

    /// The steps from the root.
    public let components: [Component]
    /// The path as written.
    public let description: String

    /// Why a path's text is not a path, and where (a zero-based offset in characters).
    public struct SyntaxError: Error, Sendable, Hashable {
        /// What is wrong.
        public var message: String
        /// Characters from the start of the path to the problem.
        public var offset: Int
    }

    /// Parses `$` followed by `.name`, `[n]`, `['name']` or `["name"]` steps; a leading `$` may be left out
    /// (`tier.level` means `$.tier.level`).
    public init(parsing text: String) throws(SyntaxError) {
        let chars = Array(text)
        var i = 0
        var components: [Component] = []
        if chars.first == "$" {
            i = 1
        } else if let first = chars.first, first != "." && first != "[" {
            // A bare `tier.level` reads as `$.tier.level`.
            components.append(.member(JSONPath.readName(chars, &i)))
        } else if chars.isEmpty {
            throw SyntaxError(message: "the path is empty; write $ for the whole value", offset: 0)
        }
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                let name = JSONPath.readName(chars, &i)
                guard !name.isEmpty else { throw SyntaxError(message: "expected a member name after '.'", offset: i) }
                components.append(.member(name))
            case "[":
                i += 1
                guard i < chars.count else { throw SyntaxError(message: "expected an index or a quoted name after '['", offset: i) }
                if chars[i] == "'" || chars[i] == "\"" {
                    let quote = chars[i]
                    i += 1
                    var name = ""
                    while i < chars.count, chars[i] != quote {
                        if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                        name.append(chars[i])
                        i += 1
                    }
                    guard i < chars.count else { throw SyntaxError(message: "unterminated quoted name", offset: i) }
                    i += 1
                    components.append(.member(name))
                } else {
                    let start = i
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                    guard i > start, let index = Int(String(chars[start..<i])) else {
                        throw SyntaxError(message: "expected a non-negative index or a quoted name after '['", offset: start)
                    }
                    components.append(.index(index))
                }
                guard i < chars.count, chars[i] == "]" else { throw SyntaxError(message: "expected ']'", offset: i) }
                i += 1
            default:
                throw SyntaxError(message: "expected '.' or '[' (paths look like $.a.b[0])", offset: i)
            }
        }
        self.components = components
        self.description = text
    }

    private static func readName(_ chars: [Character], _ i: inout Int) -> String {
        var name = ""
        while i < chars.count, chars[i] != ".", chars[i] != "[" {
            name.append(chars[i])
            i += 1
        }
        return name
    }

    /// The value at this path in `root`, or `nil` when a step finds nothing.
    public func value(in root: JSONValue) -> JSONValue? {
        var current = root
        for component in components {
            switch (component, current) {
            case (.member(let name), .object(let object)):
                guard let next = object[name] else { return nil }
                current = next
            case (.index(let index), .array(let array)):
                guard index < array.count else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}
