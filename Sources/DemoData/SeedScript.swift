/// The statements that fill the demo tables for one scale and seed.
///
/// Every value is a function of the row number: set-based `INSERT … SELECT` over `generate_series`,
/// pseudo-random choices from md5 digests, and fixed base timestamps, so one scale and seed always give
/// the same rows. The awkward cases sit at fixed ids, chosen by `id % 100` and similar rules, so that
/// every block of 100 conversations holds each of them and tests can find them whatever the seed:
///
/// Conversations (`conv-NNNNNN`, id N):
/// - `% 100 = 33`: external id `conv #NNNNNN` (a space and '#': not API-id-safe).
/// - `% 1000 = 77`: external id longer than 256 characters.
/// - `% 100 = 13`: channel `fax`; `% 100 = 57`: channel `email` (no API platform); `% 100 = 88`: channel,
///   queue and line of business NULL. Otherwise the channel is a raw name picked by `id % 20`.
/// - `% 100 = 19` and `% 100 = 88`: no agent (abandoned in queue); only the bot and the customer talk.
/// - `% 100 = 61`: browser version `120.0.6099.129 (Official Build) (64-bit)` (bad characters, too long).
/// - `% 100 = 40`: campaign `BF 2024`; `% 100 = 46`: campaign `retención` (not id-safe).
/// - `% 100 = 66`: 12 attributes (the API takes 10), a unicode key and a 1,100-character value.
/// - `% 100 = 71`: still open (`ended_at` NULL).
/// - `% 100 = 90`: reopened: `updated_at` later than its neighbours and shared with every other
///   reopened conversation among the same 2,000 ids (a tie out of id order).
/// - Message counts: `% 50 = 8` none, `% 100 = 3` one, `% 500 = 30` exactly 300 (one full API batch),
///   `% 500 = 31` exactly 301, `% 500 = 42` between 700 and 949; `% 100 = 25` exactly 30; otherwise
///   5 to 122 with a tail.
/// Messages (by conversation id and position k, 1-based, in `sent_at, id` order):
/// - `% 100 = 21`, k 2: body `''`; `% 100 = 22`, k 3: body NULL; `% 100 = 23`, k 1: whitespace only;
///   `% 100 = 24`, k 1: a 22,400-character body; `% 100 = 29`, k 2: `sender_id` NULL.
/// - `% 100 = 25`: message k uses body template k (every template once, in order, then template 1).
/// - `% 100 = 44`, k 5: `sent_at` earlier than message 4's (clock skew: id order differs from time order).
/// - About one message in 17 shares its `sent_at` with the previous one.
/// Rows of every table are stamped in batches: each block of 50 ids splits into two groups of 5 to 45
/// rows sharing one `updated_at` (messages: groups of up to 25 per conversation sharing `created_at`
/// with every other conversation of the same batch), with microsecond precision.
struct SeedScript {
    var scale: Int
    var seed: Int

    init(scale: Int, seed: Int) {
        precondition(scale >= 1, "scale must be 1 or more")
        self.scale = scale
        self.seed = seed
    }

    var size: DemoDatabase.Size { DemoDatabase.Size(scale: scale) }

    var statements: [String] {
        [
            truncate,
            linesOfBusiness,
            queues,
            agents,
            customers,
            conversations,
            messages,
            legacyTickets,
            sequences,
            analyze,
        ]
    }

    // MARK: - Shared pieces

    private func digest(_ key: String, _ salt: String) -> String {
        SQLText.digest(key, salt: salt, seed: seed)
    }

    private func bits(_ md5: String, _ slot: Int) -> String {
        SQLText.bits(md5, slot: slot)
    }

    /// A batch timestamp for row `id`: blocks of 50 ids, `block` apart from `base`, each split at a point
    /// between 5 and 45 into two batches that share one stamp each. Real loaders stamp whole batches with
    /// one `now()`; a keyset reader that pages on the timestamp alone loses or repeats rows on such ties.
    /// The microseconds catch readers that round to milliseconds.
    private func batchStamp(_ id: String, base: String, block: String, salt: String) -> String {
        let blockNumber = "((\(id) - 1) / 50)"
        let split = "5 + \(bits(digest(blockNumber, salt), 0)) % 41"
        return #"""
        (timestamptz '\#(base)' + \#(blockNumber) * interval '\#(block)'
                + CASE WHEN (\#(id) - 1) % 50 < \#(split) THEN interval '0' ELSE interval '97 minutes' END
                + (\#(blockNumber) * 7919 % 1000000) * interval '1 microsecond')
        """#
    }

    /// When conversation `id` was last changed by the loader (before any reopening).
    private func conversationStamp(_ id: String) -> String {
        batchStamp(id, base: "2024-01-02T00:00:00Z", block: "50 minutes", salt: "conversation-batch")
    }

    /// How many messages conversation `id` has: mostly 5 to 22, a tenth up to 100 more, and fixed ids with
    /// none, one, exactly one or just over one API batch (300), and 700 or more.
    private func messageCount(_ id: String) -> String {
        let md5 = digest(id, "length")
        return #"""
        CASE
                    WHEN \#(id) % 50 = 8 THEN 0
                    WHEN \#(id) % 100 = 3 THEN 1
                    WHEN \#(id) % 100 = 25 THEN 30
                    WHEN \#(id) % 500 = 30 THEN 300
                    WHEN \#(id) % 500 = 31 THEN 301
                    WHEN \#(id) % 500 = 42 THEN 700 + (\#(id) / 500 % 5) * 50 + \#(bits(md5, 0)) % 50
                    ELSE 5 + \#(bits(md5, 1)) % 18
                        + CASE WHEN \#(bits(md5, 2)) % 10 = 0 THEN \#(bits(md5, 3)) % 100 ELSE 0 END
                END
        """#
    }

    // MARK: - Statements

    private var truncate: String {
        #"""
        TRUNCATE contact_center.messages, contact_center.conversations, contact_center.customers,
                 contact_center.agents, contact_center.queues, contact_center.lines_of_business,
                 contact_center.legacy_tickets
            RESTART IDENTITY
        """#
    }

    private var linesOfBusiness: String {
        #"""
        INSERT INTO contact_center.lines_of_business (id, code, name) VALUES
            (1, 'RETAIL', 'Retail Banking'),
            (2, 'CARDS', 'Credit Cards'),
            (3, 'MORTGAGE', 'Mortgages & Home Loans'),
            (4, 'TECH_SUPPORT', 'Technical Support'),
            (5, 'LATAM_ES', 'Atención al Cliente – LatAm')
        """#
    }

    private var queues: String {
        // Region NULL on one queue: an optional column left empty.
        #"""
        INSERT INTO contact_center.queues (id, code, name, lob_id, region) VALUES
            (1, 'retail_general', 'Retail – General', 1, 'us-east'),
            (2, 'retail_fraud', 'Fraud & Disputes', 1, 'us-east'),
            (3, 'cards_billing', 'Card Billing', 2, 'us-west'),
            (4, 'cards_rewards', 'Rewards', 2, NULL),
            (5, 'mortgage_apps', 'Mortgage Applications', 3, 'us-central'),
            (6, 'tech_l1', 'Tech Support L1', 4, 'emea'),
            (7, 'tech_l2', 'Tech Support L2', 4, 'apac'),
            (8, 'latam_es', 'Soporte en Español', 5, 'latam')
        """#
    }

    private var agents: String {
        let r = "a.r"
        return #"""
        INSERT INTO contact_center.agents (id, external_id, full_name, email, hired_at, location, supervisor_id,
                                           languages, max_concurrency, job_title, skills, updated_at)
        SELECT
            a.id,
            CASE
                -- Not API-id-safe: a space, a '#'.
                WHEN a.id % 50 = 7 THEN 'AG ' || \#(SQLText.padded("a.id", 4))
                WHEN a.id % 50 = 13 THEN 'agent#' || \#(SQLText.padded("a.id", 4))
                ELSE 'agent-' || \#(SQLText.padded("a.id", 4))
            END,
            CASE
                -- A multi-scalar emoji (ZWJ sequence) in a name.
                WHEN a.id % 100 = 5 THEN '👩‍💻 Dana Kowalczyk'
                -- Leading and trailing blanks someone typed in.
                WHEN a.id % 100 = 9 THEN '  ' || \#(pick(Names.first, by: bits(r, 0))) || ' '
                ELSE \#(pick(Names.first, by: bits(r, 0))) || ' ' || \#(pick(Names.last, by: bits(r, 1)))
            END,
            CASE
                WHEN a.id % 20 = 3 THEN 'n/a'  -- not an email address
                WHEN a.id % 20 = 11 THEN NULL
                ELSE 'agent' || a.id || '@support.example.com'
            END,
            CASE
                -- Before 1970: a negative epoch and a fractional second.
                WHEN a.id % 100 = 12 THEN timestamptz '1969-12-31T23:59:59.5Z'
                WHEN a.id % 20 = 17 THEN NULL
                ELSE timestamptz '2015-01-01T00:00:00Z' + (\#(bits(r, 2)) % 3000) * interval '1 day'
                    + (\#(bits(r, 3)) % 86400) * interval '1 second'
            END,
            \#(pick(["Austin, TX", "Manila", "Bogotá", "Kraków", "Remote", "Cebu City", nil, "São Paulo"], by: "a.id * 3")),
            -- Every tenth agent supervises the nine after it.
            CASE WHEN a.id % 10 = 1 THEN NULL ELSE (a.id - 1) / 10 * 10 + 1 END,
            CASE a.id % 8
                WHEN 0 THEN '{en-US}'
                WHEN 1 THEN '{en-US,es-MX}'
                WHEN 2 THEN '{es-MX}'
                WHEN 3 THEN '{fr-CA,en-US}'
                WHEN 4 THEN '{}'
                WHEN 5 THEN NULL
                WHEN 6 THEN '{zh-Hant-TW,en-US}'
                ELSE '{en_US}'  -- an underscore: the API's language pattern refuses it
            END::text[],
            CASE WHEN a.id % 7 = 6 THEN NULL ELSE 1 + a.id % 4 END,
            CASE
                WHEN a.id % 10 = 1 THEN 'Supervisor'
                -- Titles with spaces are not id-safe; the API's jobTitle is an id.
                ELSE \#(pick(["Agent", "Senior Agent", "team_lead", "Agent II", "agent-tier-1"], by: "a.id"))
            END,
            CASE a.id % 5
                WHEN 0 THEN '{"billing": 3, "spanish": 5}'::jsonb
                WHEN 1 THEN '{"tech": 4}'::jsonb
                WHEN 2 THEN '[]'::jsonb
                WHEN 3 THEN NULL
                ELSE '{"languages": ["en", "es"], "certified": true}'::jsonb
            END,
            \#(batchStamp("a.id", base: "2024-01-01T06:00:00Z", block: "70 minutes", salt: "agent-batch"))
        FROM (
            SELECT id, \#(digest("id", "agent")) AS r
            FROM generate_series(1, \#(size.agents)) AS id
        ) AS a
        """#
    }

    private var customers: String {
        let r = "c.r"
        return #"""
        INSERT INTO contact_center.customers (id, external_id, full_name, email, phone, country, state, zipcode,
                                              status, updated_at)
        SELECT
            c.id,
            CASE
                -- Not API-id-safe: a space, a '#'.
                WHEN c.id % 50 = 23 THEN 'cust ' || \#(SQLText.padded("c.id", 6))
                WHEN c.id % 50 = 47 THEN 'cust#' || \#(SQLText.padded("c.id", 6))
                -- An email as the customer id: allowed by the customer id pattern ('.' and '@').
                WHEN c.id % 20 = 9 THEN 'user.' || c.id || '@example.com'
                ELSE 'cust-' || \#(SQLText.padded("c.id", 6))
            END,
            CASE
                -- A flag-like ZWJ emoji sequence (🏳️‍🌈: four scalars, one character).
                WHEN c.id % 100 = 77 THEN 'Sam 🏳️‍🌈 Rivera'
                WHEN c.id % 40 = 39 THEN NULL
                ELSE \#(pick(Names.first, by: bits(r, 0))) || ' ' || \#(pick(Names.last, by: bits(r, 1)))
            END,
            CASE
                WHEN c.id % 30 = 13 THEN 'josé.müller@exämple.de'                    -- internationalized
                WHEN c.id % 30 = 14 THEN 'trailing.space' || c.id || '@example.com '  -- trailing blank
                WHEN c.id % 30 = 15 THEN 'UPPER.CASE' || c.id || '@EXAMPLE.COM'
                WHEN c.id % 10 = 7 THEN 'not-an-email'
                WHEN c.id % 10 = 8 THEN NULL
                WHEN c.id % 10 = 2 THEN 'customer' || c.id || '+support@mail.example.org'
                ELSE 'customer' || c.id || '@example.com'
            END,
            -- Phone numbers as people type them; the API allows only digits and - . ( ) +.
            CASE c.id % 8
                WHEN 0 THEN '+1 415 555 ' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 1 THEN '(415) 555-' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 2 THEN '415.555.' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 3 THEN '+1415555' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 4 THEN '415555' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 5 THEN '+44 20 7946 ' || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 6 THEN NULL
                ELSE '555-0100 ext. ' || (10 + \#(bits(r, 2)) % 90)
            END,
            \#(pick(["US", "US", "MX", "CA", "GB", "DE", "JP", nil, "United States"], by: "c.id")),
            CASE c.id % 9
                WHEN 0 THEN \#(pick(["CA", "NY", "TX", "WA"], by: bits(r, 3)))
                WHEN 1 THEN \#(pick(["CA", "NY", "TX", "WA"], by: bits(r, 3)))
                WHEN 2 THEN 'Jalisco'
                WHEN 3 THEN 'QC'
                WHEN 4 THEN NULL
                WHEN 5 THEN 'Baden-Württemberg'
                WHEN 6 THEN '東京都'
                WHEN 7 THEN NULL
                ELSE 'California'
            END,
            -- Postal codes are text: leading zeros, ZIP+4, spaces.
            CASE c.id % 9
                WHEN 0 THEN lpad((\#(bits(r, 3)) % 100000)::text, 5, '0')
                WHEN 1 THEN lpad((\#(bits(r, 3)) % 100000)::text, 5, '0') || '-'
                    || lpad((\#(bits(r, 2)) % 10000)::text, 4, '0')
                WHEN 2 THEN '44100'
                WHEN 3 THEN 'H2X 1Y4'
                WHEN 4 THEN 'SW1A 1AA'
                WHEN 5 THEN '70173'
                WHEN 6 THEN '100-0001'
                WHEN 7 THEN NULL
                ELSE '02139'
            END,
            \#(pick(["active", "active", "inactive", "VIP", "churned", nil], by: "c.id")),
            \#(batchStamp("c.id", base: "2024-01-01T03:00:00Z", block: "30 minutes", salt: "customer-batch"))
        FROM (
            SELECT id, \#(digest("id", "customer")) AS r
            FROM generate_series(1, \#(size.customers)) AS id
        ) AS c
        """#
    }

    private var conversations: String {
        let r = "c.r"
        let r2 = "c.r2"
        let web = "c.channel IN ('Web Chat', 'web')"
        return #"""
        INSERT INTO contact_center.conversations (id, external_id, customer_id, agent_id, queue_id, lob_id, channel,
                                                  device, os, browser, browser_version, campaign, segment,
                                                  started_at, ended_at, attributes, updated_at)
        SELECT
            c.id,
            CASE
                -- Not API-id-safe: a space and a '#'.
                WHEN c.id % 100 = 33 THEN 'conv #' || \#(SQLText.padded("c.id", 6))
                -- Longer than the API's 256 characters.
                WHEN c.id % 1000 = 77 THEN 'conv-' || \#(SQLText.padded("c.id", 6)) || '-' || repeat('x', 260)
                ELSE 'conv-' || \#(SQLText.padded("c.id", 6))
            END,
            1 + \#(bits(r, 0)) % \#(size.customers),
            -- Abandoned in queue: no agent ever joined.
            CASE WHEN c.id % 100 IN (19, 88) THEN NULL ELSE 1 + \#(bits(r, 1)) % \#(size.agents) END,
            c.queue_id,
            (ARRAY[1, 1, 2, 2, 3, 4, 4, 5])[c.queue_id],
            c.channel,
            CASE
                WHEN \#(web) THEN \#(pick(["Desktop", "Desktop", "Desktop", "Desktop", "mobile", "mobile", "tablet", nil], by: bits(r, 2)))
                WHEN c.channel IN ('iOS App', 'Apple Business Chat') THEN
                    CASE WHEN \#(bits(r, 2)) % 5 = 0 THEN 'tablet' ELSE 'mobile' END
                WHEN c.channel IN ('android', 'SMS', 'sms', 'whatsapp') THEN 'mobile'
                ELSE NULL
            END,
            CASE
                WHEN \#(web) THEN \#(pick(["Windows", "Windows", "Mac OS X", "Linux", "Chrome OS", "Windows 11"], by: bits(r, 3)))
                WHEN c.channel IN ('iOS App', 'Apple Business Chat') THEN 'iOS'
                WHEN c.channel = 'android' THEN 'Android'
                WHEN c.channel = 'whatsapp' THEN \#(pick(["Android", "iOS"], by: bits(r, 3)))
                ELSE NULL
            END,
            CASE
                WHEN c.id % 100 = 61 THEN 'Chrome'
                -- 'Samsung Internet' has a space: not a valid browserType.
                WHEN \#(web) THEN \#(pick(["Chrome", "Chrome", "Safari", "Firefox", "Edge", "Samsung Internet"], by: "c.browser"))
            END,
            CASE
                -- Copied from a user agent: spaces and parentheses, longer than 16.
                WHEN c.id % 100 = 61 THEN '120.0.6099.129 (Official Build) (64-bit)'
                WHEN NOT \#(web) THEN NULL
                WHEN \#(bits(r2, 0)) % 10 = 9 THEN NULL
                ELSE (ARRAY[
                    '120.0.' || (6000 + \#(bits(r2, 1)) % 200) || '.' || \#(bits(r2, 2)) % 250,
                    '121.0.' || (6100 + \#(bits(r2, 1)) % 100) || '.' || \#(bits(r2, 2)) % 250,
                    '17.' || \#(bits(r2, 1)) % 4 || '.1',
                    (115 + \#(bits(r2, 1)) % 8) || '.0',
                    '120.0.2210.' || \#(bits(r2, 2)) % 150,
                    '23.0.1.1'
                ])[1 + c.browser % 6]
            END,
            CASE
                WHEN c.id % 100 = 40 THEN 'BF 2024'    -- a space: not id-safe
                WHEN c.id % 100 = 46 THEN 'retención'  -- an accent: not id-safe
                WHEN c.id % 5 IN (0, 1) THEN \#(pick(["spring_promo_2024", "card-upgrade", "mortgage-refi-q2", "BF 2024", "retención"], by: bits(r2, 3)))
                ELSE NULL
            END,
            CASE c.id % 7
                WHEN 0 THEN NULL
                WHEN 1 THEN '{}'
                WHEN 2 THEN '{premium}'
                WHEN 3 THEN '{premium,high-value}'
                WHEN 4 THEN '{smb,"Small Business"}'  -- an element with a space
                WHEN 5 THEN '{retail}'
                ELSE '{retail,NULL}'                  -- a NULL element
            END::text[],
            c.started_at,
            CASE
                WHEN c.id % 100 = 71 THEN NULL  -- still open
                ELSE c.started_at + c.messages * interval '20 seconds' + interval '30 seconds'
            END,
            CASE
                -- More attributes than the API's 10, a unicode key, a value over 1,024 characters.
                WHEN c.id % 100 = 66 THEN jsonb_build_object(
                    'a01', 'one', 'a02', 'two', 'a03', 3, 'a04', true, 'a05', NULL, 'a06', '{"nested": [1, 2]}'::jsonb,
                    'a07', 'seven', 'a08', 'eight', 'a09', 'nine', 'a10', 'ten',
                    'clé_ü_键', 'naïve 😀', 'long_note', repeat('é', 1100))
                WHEN c.id % 4 = 0 THEN NULL
                ELSE jsonb_build_object(
                    'csat', CASE WHEN \#(bits(r2, 3)) % 6 = 0 THEN NULL ELSE 1 + \#(bits(r2, 3)) % 5 END,
                    'transfers', \#(bits(r2, 2)) % 3,
                    'tags', (ARRAY['["billing"]', '["fraud", "urgent"]', '[]', '["onboarding"]'])[1 + \#(bits(r2, 1)) % 4]::jsonb)
            END,
            CASE
                -- Reopened later: one stamp shared by all reopened conversations among each 2,000 ids.
                WHEN c.id % 100 = 90 THEN timestamptz '2024-01-05T00:00:00.5Z'
                    + ((c.id - 1) / 2000 + 1) * interval '2000 minutes'
                ELSE \#(conversationStamp("c.id"))
            END
        FROM (
            SELECT
                id,
                \#(digest("id", "conversation")) AS r,
                \#(digest("id", "conversation-2")) AS r2,
                CASE
                    WHEN id % 100 = 13 THEN 'fax'       -- no API platform
                    WHEN id % 100 = 57 THEN 'email'     -- no API platform
                    WHEN id % 100 = 88 THEN NULL        -- never recorded
                    WHEN id % 100 = 61 THEN 'Web Chat'  -- carries the bad browser version
                    -- Raw names in mixed case; most map to an API platform.
                    ELSE \#(pick(Self.channels, by: "id"))
                END AS channel,
                CASE WHEN id % 100 = 88 THEN NULL ELSE 1 + \#(bits(digest("id", "queue"), 0)) % 8 END AS queue_id,
                \#(bits(digest("id", "browser"), 0)) AS browser,
                timestamptz '2024-01-01T00:00:00Z' + (id - 1) * interval '1 minute'
                    + (\#(bits(digest("id", "start"), 0)) % 60000000) * interval '1 microsecond' AS started_at,
                \#(messageCount("id")) AS messages
            FROM generate_series(1, \#(size.conversations)) AS id
        ) AS c
        """#
    }

    private var messages: String {
        let r = "r.r"
        return #"""
        INSERT INTO contact_center.messages (id, conversation_id, sender_role, sender_id, body, sent_at, created_at)
        SELECT
            c.first_id + m.k - 1,
            c.id,
            s.role,
            CASE
                WHEN c.id % 100 = 29 AND m.k = 2 THEN NULL  -- the sender was not recorded
                WHEN s.role = 'CUSTOMER' THEN c.customer_ref
                WHEN s.role = 'AGENT' THEN c.agent_ref
                ELSE 'virtual-assistant'
            END,
            CASE
                WHEN c.id % 100 = 21 AND m.k = 2 THEN ''                       -- empty: the API needs 1+
                WHEN c.id % 100 = 22 AND m.k = 3 THEN NULL                     -- e.g. an attachment only
                WHEN c.id % 100 = 23 AND m.k = 1 THEN \#(SQLText.literal(" \n\t "))  -- blanks only
                WHEN c.id % 100 = 24 AND m.k = 1 THEN repeat('Lorem ipsum dolor sit amet. ', 800)
                -- One conversation per hundred shows every template once, in order.
                WHEN c.id % 100 = 25 THEN \#(pick(Bodies.all, by: "m.k - 1"))
                WHEN s.role = 'CUSTOMER' THEN \#(pick(Bodies.customer, by: bits(r, 2)))
                WHEN s.role = 'AGENT' THEN \#(pick(Bodies.agent, by: bits(r, 2)))
                ELSE \#(pick(Bodies.bot, by: bits(r, 2)))
            END,
            CASE
                -- Clock skew: sent before the message stored ahead of it.
                WHEN c.id % 100 = 44 AND m.k = 5 THEN c.started_at + interval '79 seconds'
                -- A tied message reuses its predecessor's instant exactly.
                ELSE c.started_at + (m.k - s.tied) * interval '20 seconds'
                    + ((c.id * 7919 + (m.k - s.tied) * 104729) % 15000000) * interval '1 microsecond'
            END,
            -- Imported in batches: a conversation's messages share the batch stamp, 25 at a time.
            c.stamp + ((m.k - 1) / 25) * interval '1 second'
        FROM (
            SELECT
                cv.id,
                cv.started_at,
                cv.agent_id,
                cu.external_id AS customer_ref,
                ag.external_id AS agent_ref,
                n.messages,
                sum(n.messages) OVER (ORDER BY cv.id) - n.messages + 1 AS first_id,
                cv.agent_id IS NULL OR \#(bits(digest("cv.id", "greeting"), 0)) % 3 = 0 AS bot_greets,
                \#(conversationStamp("cv.id")) AS stamp
            FROM contact_center.conversations AS cv
            JOIN contact_center.customers AS cu ON cu.id = cv.customer_id
            LEFT JOIN contact_center.agents AS ag ON ag.id = cv.agent_id
            CROSS JOIN LATERAL (SELECT \#(messageCount("cv.id")) AS messages) AS n
        ) AS c
        CROSS JOIN LATERAL generate_series(1, c.messages) AS m(k)
        CROSS JOIN LATERAL (SELECT \#(digest("c.id || ':' || m.k", "message")) AS r) AS r
        CROSS JOIN LATERAL (
            SELECT
                CASE WHEN m.k > 1 AND \#(bits(r, 0)) % 17 = 0 THEN 1 ELSE 0 END AS tied,
                CASE
                    WHEN m.k = 1 AND c.bot_greets THEN 'BOT'
                    WHEN c.agent_id IS NULL THEN CASE WHEN m.k % 2 = 0 THEN 'BOT' ELSE 'CUSTOMER' END
                    -- Mostly alternating, sometimes two in a row from one side.
                    WHEN (m.k + CASE WHEN \#(bits(r, 1)) % 6 = 0 THEN 1 ELSE 0 END) % 2 = 1 THEN 'CUSTOMER'
                    ELSE 'AGENT'
                END AS role
        ) AS s
        """#
    }

    private var legacyTickets: String {
        let r = "t.r"
        return #"""
        INSERT INTO contact_center.legacy_tickets (id, ticket_no, conversation_id, subject, priority, status,
                                                   modified_local)
        SELECT
            t.id,
            'TCK-' || \#(SQLText.padded("t.id", 5)),
            CASE WHEN t.id % 3 = 0 THEN NULL ELSE 1 + \#(bits(r, 0)) % \#(size.conversations) END,
            \#(pick(["Refund request", "Cambio de dirección", "Login issue", "アカウントロック", nil, "Billing dispute – \"urgent\""], by: bits(r, 1))),
            CASE WHEN t.id % 11 = 0 THEN NULL ELSE (1 + \#(bits(r, 2)) % 4)::smallint END,
            \#(pick(["open", "pending", "closed", "Closed"], by: bits(r, 3))),
            CASE t.id % 20
                -- Wall-clock times with no zone: one that does not exist in US zones (spring forward),
                -- one that exists twice (fall back), and one at the last microsecond of a year.
                WHEN 10 THEN timestamp '2024-03-10 02:30:00'
                WHEN 11 THEN timestamp '2024-11-03 01:30:00'
                WHEN 12 THEN timestamp '2024-12-31 23:59:59.999999'
                -- Ties in fours, walking across the March DST change at larger scales.
                ELSE timestamp '2024-03-09 20:00:00' + ((t.id - 1) / 4) * interval '13 minutes'
            END
        FROM (
            SELECT id, \#(digest("id", "ticket")) AS r
            FROM generate_series(1, \#(size.legacyTickets)) AS id
        ) AS t
        """#
    }

    /// Ids were written explicitly; move the sequences past them so later inserts continue.
    private var sequences: String {
        let tables = ["agents", "customers", "conversations", "messages", "legacy_tickets"]
        let calls = tables.map { table in
            "setval(pg_get_serial_sequence('contact_center.\(table)', 'id'), "
                + "(SELECT coalesce(max(id), 0) + 1 FROM contact_center.\(table)), false)"
        }
        return "SELECT " + calls.joined(separator: ",\n       ")
    }

    private var analyze: String {
        #"""
        ANALYZE contact_center.lines_of_business, contact_center.queues, contact_center.agents,
                contact_center.customers, contact_center.conversations, contact_center.messages,
                contact_center.legacy_tickets
        """#
    }

    private func pick(_ values: [String?], by index: String) -> String {
        SQLText.pick(values, by: index)
    }

    /// Raw channel names by `id % 20`: every name appears in each 20 conversations.
    static let channels: [String?] = [
        "Web Chat", "web", "SMS", "iOS App", "android", "Voice", "Web Chat", "sms", "whatsapp",
        "Apple Business Chat", "Web Chat", "web", "iOS App", "android", "Voice", "SMS", "Web Chat",
        "iOS App", "whatsapp", "web",
    ]
}
