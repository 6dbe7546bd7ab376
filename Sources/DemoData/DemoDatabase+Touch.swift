extension DemoDatabase {
    /// One statement that simulates activity after the seed: the `conversations` lowest-id conversations
    /// get `updated_at = at` (and `ended_at` no earlier than `at`), and each gets
    /// `newMessagesPerConversation` new messages, alternating customer and agent (the bot when there is
    /// no agent), sent one second apart just before `at` and all created at `at`.
    ///
    /// New message ids come from the sequence, after every seeded id, in conversation then time order.
    /// - Parameters:
    ///   - conversations: how many conversations to touch, 0 or more.
    ///   - newMessagesPerConversation: messages to add to each, 0 or more.
    ///   - at: an ISO 8601 timestamp such as ``afterSeed``; quoted here. Choose one later than every
    ///     seeded timestamp, or the changes hide below an existing watermark.
    public static func touchSQL(conversations: Int, newMessagesPerConversation: Int, at: String) -> String {
        precondition(conversations >= 0 && newMessagesPerConversation >= 0)
        let instant = "\(SQLText.literal(at))::timestamptz"
        let count = newMessagesPerConversation
        return #"""
        WITH touched AS (
            UPDATE contact_center.conversations AS cv
            SET updated_at = \#(instant),
                ended_at = greatest(cv.ended_at, \#(instant))
            WHERE cv.id IN (SELECT id FROM contact_center.conversations ORDER BY id LIMIT \#(conversations))
            RETURNING cv.id, cv.customer_id, cv.agent_id
        )
        INSERT INTO contact_center.messages (conversation_id, sender_role, sender_id, body, sent_at, created_at)
        SELECT
            t.id,
            CASE WHEN m.k % 2 = 1 THEN 'CUSTOMER' WHEN t.agent_id IS NULL THEN 'BOT' ELSE 'AGENT' END,
            CASE WHEN m.k % 2 = 1 THEN cu.external_id WHEN t.agent_id IS NULL THEN 'virtual-assistant'
                 ELSE ag.external_id END,
            'Follow-up ' || m.k || ' of \#(count): any news on this? ✅',
            \#(instant) - (\#(count) - m.k + 1) * interval '1 second',
            \#(instant)
        FROM touched AS t
        JOIN contact_center.customers AS cu ON cu.id = t.customer_id
        LEFT JOIN contact_center.agents AS ag ON ag.id = t.agent_id
        CROSS JOIN generate_series(1, \#(count)) AS m(k)
        ORDER BY t.id, m.k;

        """#
    }
}
