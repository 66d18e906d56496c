-- session: refresh rotation (generation and grace window), the session
-- inventory (last seen, user agent, network prefix; never a full IP), and
-- the shared signing-key set (public JWKs and their schedule only).
ALTER TABLE authkit_sessions
    ADD COLUMN generation   bigint      NOT NULL DEFAULT 0,
    ADD COLUMN grace_until  timestamptz,
    ADD COLUMN last_seen_at timestamptz,
    ADD COLUMN user_agent   text        NOT NULL DEFAULT '',
    ADD COLUMN ip_prefix    text        NOT NULL DEFAULT '';

CREATE TABLE authkit_session_keys (
    kid        text        PRIMARY KEY,
    jwk        text        NOT NULL,
    publish_at timestamptz NOT NULL,
    sign_from  timestamptz NOT NULL
);
