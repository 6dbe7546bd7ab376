extension DemoDatabase {
    /// Row counts of the seeded tables that follow from the scale alone.
    public struct Size: Sendable, Hashable {
        /// Lines of business: always 5.
        public var linesOfBusiness: Int
        /// Queues: always 8.
        public var queues: Int
        /// Agents: `10 * scale + 5`.
        public var agents: Int
        /// Customers: `60 * scale`.
        public var customers: Int
        /// Conversations: `100 * scale`.
        public var conversations: Int
        /// Legacy tickets: `20 * scale`.
        public var legacyTickets: Int

        /// The counts for `scale`.
        public init(scale: Int) {
            linesOfBusiness = 5
            queues = 8
            agents = 10 * scale + 5
            customers = 60 * scale
            conversations = 100 * scale
            legacyTickets = 20 * scale
        }
    }
}
