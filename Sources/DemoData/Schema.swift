/// The demo schema's DDL. Shaped like a real contact-center database rather than like the API: the
/// connector's mapping has to bridge names, types and value sets.
enum Schema {
    static let statements: [String] = [
        "CREATE SCHEMA IF NOT EXISTS contact_center",

        #"""
        CREATE TABLE IF NOT EXISTS contact_center.lines_of_business (
            id   integer PRIMARY KEY,
            code text NOT NULL UNIQUE,
            name text NOT NULL
        )
        """#,

        #"""
        CREATE TABLE IF NOT EXISTS contact_center.queues (
            id     integer PRIMARY KEY,
            code   text NOT NULL UNIQUE,
            name   text NOT NULL,
            lob_id integer NOT NULL REFERENCES contact_center.lines_of_business (id),
            region text
        )
        """#,

        #"""
        CREATE TABLE IF NOT EXISTS contact_center.agents (
            id              bigserial PRIMARY KEY,
            external_id     text NOT NULL UNIQUE,
            full_name       text NOT NULL,
            email           text,
            hired_at        timestamptz,
            location        text,
            supervisor_id   bigint REFERENCES contact_center.agents (id),
            languages       text[],
            max_concurrency integer,
            job_title       text,
            skills          jsonb,
            updated_at      timestamptz NOT NULL DEFAULT now()
        )
        """#,

        #"""
        CREATE TABLE IF NOT EXISTS contact_center.customers (
            id          bigserial PRIMARY KEY,
            external_id text NOT NULL UNIQUE,
            full_name   text,
            email       text,
            phone       text,
            country     text,
            state       text,
            zipcode     text,
            status      text,
            updated_at  timestamptz NOT NULL DEFAULT now()
        )
        """#,

        // `channel`, `device` and `os` hold the raw names the contact-center platform writes; only some
        // of them have an equivalent in the API's enums.
        #"""
        CREATE TABLE IF NOT EXISTS contact_center.conversations (
            id              bigserial PRIMARY KEY,
            external_id     text NOT NULL UNIQUE,
            customer_id     bigint NOT NULL REFERENCES contact_center.customers (id),
            agent_id        bigint REFERENCES contact_center.agents (id),
            queue_id        integer REFERENCES contact_center.queues (id),
            lob_id          integer REFERENCES contact_center.lines_of_business (id),
            channel         text,
            device          text,
            os              text,
            browser         text,
            browser_version text,
            campaign        text,
            segment         text[],
            started_at      timestamptz NOT NULL,
            ended_at        timestamptz,
            attributes      jsonb,
            updated_at      timestamptz NOT NULL DEFAULT now()
        )
        """#,

        #"""
        CREATE TABLE IF NOT EXISTS contact_center.messages (
            id              bigserial PRIMARY KEY,
            conversation_id bigint NOT NULL REFERENCES contact_center.conversations (id) ON DELETE CASCADE,
            sender_role     text NOT NULL CHECK (sender_role IN ('AGENT', 'CUSTOMER', 'BOT')),
            sender_id       text,
            body            text,
            sent_at         timestamptz NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now()
        )
        """#,

        // A table from an older system that stores local wall-clock time without a zone, so the
        // connector's handling of `timestamp without time zone` watermarks can be exercised.
        #"""
        CREATE TABLE IF NOT EXISTS contact_center.legacy_tickets (
            id              bigserial PRIMARY KEY,
            ticket_no       text NOT NULL,
            conversation_id bigint,
            subject         text,
            priority        smallint,
            status          text,
            modified_local  timestamp without time zone NOT NULL
        )
        """#,

        // The indexes keyset extraction walks: `(watermark, id)` per table, and transcripts in order.
        "CREATE INDEX IF NOT EXISTS agents_updated_at_id_idx ON contact_center.agents (updated_at, id)",
        "CREATE INDEX IF NOT EXISTS customers_updated_at_id_idx ON contact_center.customers (updated_at, id)",
        "CREATE INDEX IF NOT EXISTS conversations_updated_at_id_idx ON contact_center.conversations (updated_at, id)",
        "CREATE INDEX IF NOT EXISTS messages_created_at_id_idx ON contact_center.messages (created_at, id)",
        "CREATE INDEX IF NOT EXISTS messages_conversation_sent_at_id_idx ON contact_center.messages (conversation_id, sent_at, id)",
        "CREATE INDEX IF NOT EXISTS legacy_tickets_modified_local_id_idx ON contact_center.legacy_tickets (modified_local, id)",
    ]
}
