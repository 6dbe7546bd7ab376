/// Names in many scripts: accents, apostrophes, right-to-left and CJK text.
enum Names {
    static let first: [String?] = [
        "José", "Zoë", "Łukasz", "María José", "Siobhán", "Ahmed", "محمد", "יעל", "美玲", "さくら",
        "Olúwadámilọ́lá", "Björn", "Chloé", "Priya", "Anne-Marie", "Jürgen", "Ngozi", "D'Andre", "Nguyễn", "Sam",
    ]
    static let last: [String?] = [
        "García", "Müller", "O'Brien", "Nowak", "Núñez", "Smith", "Kowalczyk", "العلي", "כהן", "王", "山田",
        "Dubois", "van der Berg", "Đặng", "Øster", "Şahin",
    ]
}

/// Message texts. Each awkward one is here for a reason a transcript pipeline can trip over.
enum Bodies {
    static let customer: [String?] = [
        "Hi, I was charged twice for the same order.",
        "My card ending in 4242 was declined at the store — why?",
        "Hola, necesito ayuda con mi cuenta. ¿Pueden revisar el último cargo?",
        "ありがとうございます。注文番号は #A-1029 です。",
        "مرحبا، لا أستطيع تسجيل الدخول إلى حسابي",  // right-to-left
        "שלום, החשבון שלי ננעל אחרי עדכון האפליקציה",  // right-to-left
        "The app crashes on launch 😩 (iPhone 15, iOS 17.2)",
        #"He said "it's fixed" but it isn't."#,  // both quote kinds
        #"The file is C:\Users\zoë\Downloads\statement.pdf and the pattern was ^\d+\.\d*$"#,  // backslashes
        "Line one\nLine two\n\tindented line three",  // newlines and a tab
        "👩‍💻 I'm a developer; your API returns 500. 🇺🇸 🇲🇽 👍🏽 👨‍👩‍👧‍👦",  // multi-scalar emoji, flags
        "'; DROP TABLE contact_center.messages; --",
        "ok",
        "Zoë’s naïve café façade — “smart quotes”, ‘apostrophes’ and an ellipsis…",
        "Tab\tseparated\tvalues\r\nand a Windows line ending",
        "Cafe\u{301} with a combining accent (NFD), Straße, İstanbul, ﬁle",  // normalization and case traps
        #"{"json": "in a message", "n": 1}"#,
        "<b>HTML</b> &amp; <script>alert(1)</script>",
    ]
    static let agent: [String?] = [
        "Thanks for reaching out! Let me look into that for you.",
        "I've refunded the duplicate charge; it should appear in 3–5 business days.",
        "Lo siento por las molestias. Ya lo he corregido.",
        "申し訳ございません。確認いたします。",
        "Could you confirm the last four digits of your card?",
        "Here are the steps:\n1. Open Settings\n2. Tap \"Reset\"\n3. Restart the app",
        "Is there anything else I can help with? 😊",
        "شكراً لتواصلك معنا",
    ]
    static let bot: [String?] = [
        "Hi! I'm the virtual assistant. How can I help today?",
        "Connecting you to an agent… ⏳",
        "Please choose: [1] Billing [2] Tech support [3] Other",
    ]
    static let all: [String?] = customer + agent + bot
}
