-- passkey: challenges waiting for their response, stored as the SHA-256 of
-- the challenge; each is deleted by the response that uses it.
CREATE TABLE authkit_passkey_challenges (
    digest            bytea       PRIMARY KEY,
    ceremony          text        NOT NULL,
    user_id           text        NOT NULL,
    session_id        text        NOT NULL,
    rp_id             text        NOT NULL,
    user_verification text        NOT NULL,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL
);
CREATE INDEX authkit_passkey_challenges_expires_at ON authkit_passkey_challenges (expires_at);

-- passkey: registered credentials. credential_id is unique across users
-- (an authenticator's credential belongs to one account).
CREATE TABLE authkit_passkeys (
    id                 text        PRIMARY KEY,
    user_id            text        NOT NULL,
    credential_id      bytea       NOT NULL UNIQUE,
    public_key         bytea       NOT NULL,
    attestation_type   text        NOT NULL,
    attestation_format text        NOT NULL,
    aaguid             bytea       NOT NULL,
    transports         text[]      NOT NULL,
    sign_count         bigint      NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    user_verified      boolean     NOT NULL,
    backup_eligible    boolean     NOT NULL,
    backup_state       boolean     NOT NULL,
    alias              text        NOT NULL,
    origin             text        NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz,
    last_used_at       timestamptz
);
CREATE INDEX authkit_passkeys_user ON authkit_passkeys (user_id, created_at);
