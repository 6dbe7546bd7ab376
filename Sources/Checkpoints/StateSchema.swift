/// The product's own tables in PostgreSQL, and the migrations that create and evolve them.
///
/// Each migration runs once, in order, inside one transaction under an advisory lock, and is recorded in
/// `schema_version`; a database already at a newer version than this build knows is refused.
enum StateSchema {
    /// Migrations in order; the position plus one is the version each brings the schema to.
    static func migrations(_ s: String) -> [String] {
        [
            """
            CREATE TABLE \(s).checkpoints (
                stream            text PRIMARY KEY,
                -- The last acknowledged row's watermark and key, in their columns' text forms.
                watermark         text,
                key               text,
                rows_acknowledged bigint NOT NULL DEFAULT 0,
                last_run_id       bigint,
                updated_at        timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE \(s).runs (
                id             bigserial PRIMARY KEY,
                kind           text NOT NULL,
                streams        text[] NOT NULL,
                status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'completed_with_rejects', 'failed', 'interrupted')),
                started_at     timestamptz NOT NULL DEFAULT now(),
                finished_at    timestamptz,
                rows_read      bigint NOT NULL DEFAULT 0,
                items_sent     bigint NOT NULL DEFAULT 0,
                items_rejected bigint NOT NULL DEFAULT 0,
                error          text,
                host           text,
                pid            integer
            );
            CREATE TABLE \(s).run_streams (
                run_id          bigint NOT NULL REFERENCES \(s).runs (id) ON DELETE CASCADE,
                stream          text NOT NULL,
                status          text NOT NULL,
                rows_read       bigint NOT NULL DEFAULT 0,
                items_sent      bigint NOT NULL DEFAULT 0,
                items_rejected  bigint NOT NULL DEFAULT 0,
                requests        bigint NOT NULL DEFAULT 0,
                upper_bound     text,
                start_watermark text,
                end_watermark   text,
                error           text,
                PRIMARY KEY (run_id, stream)
            );
            CREATE TABLE \(s).rejects (
                id          bigserial PRIMARY KEY,
                run_id      bigint REFERENCES \(s).runs (id) ON DELETE SET NULL,
                stream      text NOT NULL,
                source_key  text NOT NULL,
                watermark   text,
                event_id    text,
                -- The item as mapped; NULL when the row could not be mapped at all.
                payload     jsonb,
                -- 'mapping': refused before sending; 'api': refused by the API.
                stage       text NOT NULL CHECK (stage IN ('mapping', 'api')),
                field       text,
                http_status integer,
                error       text NOT NULL,
                attempts    integer NOT NULL DEFAULT 1,
                status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'discarded')),
                created_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX rejects_stream_status ON \(s).rejects (stream, status);
            """,
            """
            -- The API's id of every conversation a transcripts stream created, so later runs post new
            -- messages to it without creating it again.
            CREATE TABLE \(s).conversations (
                stream      text NOT NULL,
                source_key  text NOT NULL,
                external_id text NOT NULL,
                asapp_id    text NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                updated_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (stream, source_key)
            );
            -- The range of messages a run is delivering: fixed when it starts and kept until every
            -- conversation in it is done, so a run that dies resumes exactly the same set.
            CREATE TABLE \(s).message_windows (
                stream          text PRIMARY KEY,
                start_watermark text,
                start_key       text,
                end_watermark   text NOT NULL,
                end_key         text NOT NULL,
                orphans_done    boolean NOT NULL DEFAULT false,
                created_at      timestamptz NOT NULL DEFAULT now()
            );
            -- Within the window: per conversation, the order value and key of its last acknowledged message.
            CREATE TABLE \(s).message_progress (
                stream           text NOT NULL,
                conversation_key text NOT NULL,
                last_order       text NOT NULL,
                last_key         text NOT NULL,
                PRIMARY KEY (stream, conversation_key)
            );
            """,
            """
            -- A historical backfill: a stream's range cut into windows, each with its own progress, apart
            -- from the stream's incremental checkpoint. The same command again resumes the same plan.
            CREATE TABLE \(s).backfills (
                id          bigserial PRIMARY KEY,
                stream      text NOT NULL,
                range_from  text NOT NULL,
                range_to    text NOT NULL,
                window_size text NOT NULL,
                status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
                created_at  timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                UNIQUE (stream, range_from, range_to, window_size)
            );
            CREATE TABLE \(s).backfill_windows (
                backfill_id    bigint NOT NULL REFERENCES \(s).backfills (id) ON DELETE CASCADE,
                seq            integer NOT NULL,
                window_from    text NOT NULL,
                window_to      text NOT NULL,
                status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
                watermark      text,
                key            text,
                rows_read      bigint NOT NULL DEFAULT 0,
                items_sent     bigint NOT NULL DEFAULT 0,
                items_rejected bigint NOT NULL DEFAULT 0,
                error          text,
                updated_at     timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (backfill_id, seq)
            );
            """,
        ]
    }
}
