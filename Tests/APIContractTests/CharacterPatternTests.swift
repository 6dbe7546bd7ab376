import APIContract
import Testing

@Suite("Character patterns")
struct CharacterPatternTests {
    @Test("the id pattern accepts letters, digits, - and _ only, and never the empty string")
    func idPattern() {
        let id = CharacterPattern.id
        #expect(id.source == #"[a-zA-Z0-9\-\_]+"#)
        for good in ["issue1389", "eventId-1388", "A_b-9", "0"] { #expect(id.matches(good), "\(good)") }
        for bad in ["", "a b", "a.b", "é", "a/b", "a+b", "😀", "a\n"] { #expect(!id.matches(bad), "\(bad)") }
    }

    @Test("the other built-in patterns")
    func otherPatterns() {
        #expect(CharacterPattern.browserVersion.matches("103.0.5060.128"))
        #expect(!CharacterPattern.browserVersion.matches("14 1"))
        #expect(CharacterPattern.customerId.matches("jane.doe@example.com"))
        #expect(!CharacterPattern.customerId.matches("jane+doe"))
        #expect(CharacterPattern.phoneNumber.matches("+1(555)"))
        #expect(CharacterPattern.phoneNumber.matches("+1-(555).123"))
        #expect(!CharacterPattern.phoneNumber.matches("555 123"))
        #expect(!CharacterPattern.phoneNumber.matches("call me"))
        #expect(CharacterPattern.languageTag.matches("en-us"))
        #expect(!CharacterPattern.languageTag.matches("en_us"))
        #expect(CharacterPattern.conversationId.matches("01BX5ZZKBKACTAV9WEVGEMMVRZ"))
        #expect(!CharacterPattern.conversationId.matches("01bx5zzk"))
        #expect(!CharacterPattern.conversationId.matches(""))
    }

    @Test("patterns parse from OpenAPI text; anything but one class with + is refused")
    func parsing() {
        #expect(CharacterPattern(source: "[a-c]+")?.matches("abcab") == true)
        #expect(CharacterPattern(source: "^[x-z\\.]+$")?.matches("x.y.z") == true)
        #expect(CharacterPattern(source: "[a-c]*") == nil)
        #expect(CharacterPattern(source: "abc") == nil)
        #expect(CharacterPattern(source: "[z-a]+") == nil)
        #expect(CharacterPattern(source: "[é]+") == nil)
    }
}
