-- authkit schema, version 1. Every table is created in the first schema of
-- the connection's search_path (current_schema()). Times are timestamptz
-- (microseconds); a zero Go time is stored as NULL where a field is optional.

-- verification: one row per verification.
CREATE TABLE authkit_verifications (
    id                 text        PRIMARY KEY,
    channel            text        NOT NULL,
    destination        text        NOT NULL,
    phone_country_code text        NOT NULL DEFAULT '',
    phone_national     text        NOT NULL DEFAULT '',
    phone_region       text        NOT NULL DEFAULT '',
    code_hash          bytea       NOT NULL,
    attempts           integer     NOT NULL DEFAULT 0,
    sends              integer     NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    sent_at            timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    purge_at           timestamptz NOT NULL,
    used_at            timestamptz
);
CREATE INDEX authkit_verifications_purge_at ON authkit_verifications (purge_at);

-- verification: the recent sends per destination (unix microseconds, oldest
-- first), trimmed to the window on every send.
CREATE TABLE authkit_verification_sends (
    destination text     PRIMARY KEY,
    sent_at     bigint[] NOT NULL,
    purge_at    bigint   NOT NULL
);
CREATE INDEX authkit_verification_sends_purge_at ON authkit_verification_sends (purge_at);

-- authkit_record_send decides and records one send to p_dest at p_now (all
-- times and durations in microseconds). It returns 0 when the send was
-- recorded, else the wait before a send is allowed; nothing is recorded
-- then. It ports verification.SendWait exactly (a test compares the two).
-- The row lock taken by the upsert serialises sends to one destination.
CREATE FUNCTION authkit_record_send(p_dest text, p_now bigint, p_max integer, p_window bigint, p_cooldown bigint)
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    ts     bigint[];
    n      integer;
    m      integer;
    i      integer;
    from_t bigint;
    t      bigint;
    cd     bigint;
    wait   bigint := 0;
BEGIN
    INSERT INTO authkit_verification_sends AS s (destination, sent_at, purge_at)
    VALUES (p_dest, '{}', p_now + p_window)
    ON CONFLICT (destination) DO UPDATE SET destination = s.destination
    RETURNING s.sent_at INTO ts;

    -- Keep the sends within (now - window, now].
    ts := ARRAY(SELECT x FROM unnest(ts) AS x WHERE x > p_now - p_window ORDER BY x);
    n := coalesce(array_length(ts, 1), 0);

    -- SendWait: let k of the oldest sends have left the window.
    <<search>>
    FOR k IN 0..n LOOP
        from_t := p_now;
        IF k > 0 AND ts[k] + p_window > from_t THEN
            from_t := ts[k] + p_window;
        END IF;
        m := n - k;
        IF m = 0 THEN
            wait := from_t - p_now;
            EXIT search;
        END IF;
        CONTINUE search WHEN p_max > 0 AND m >= p_max;
        cd := p_cooldown;
        i := 1;
        WHILE i < m AND cd < p_window LOOP
            cd := cd * 2;
            i := i + 1;
        END LOOP;
        t := ts[n] + cd;
        IF t < from_t THEN
            t := from_t;
        END IF;
        IF t < ts[k + 1] + p_window THEN
            wait := t - p_now;
            EXIT search;
        END IF;
    END LOOP;

    IF wait > 0 THEN
        RETURN wait;
    END IF;
    UPDATE authkit_verification_sends
    SET sent_at = ts || p_now, purge_at = p_now + p_window
    WHERE destination = p_dest;
    RETURN 0;
END
$fn$;

-- mfa: TOTP devices. At most one default device per user.
CREATE TABLE authkit_mfa_devices (
    id            text        PRIMARY KEY,
    user_id       text        NOT NULL,
    type          text        NOT NULL,
    alias         text        NOT NULL DEFAULT '',
    sealed_secret bytea       NOT NULL,
    verified      boolean     NOT NULL DEFAULT false,
    is_default    boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    verified_at   timestamptz,
    last_step     bigint      NOT NULL DEFAULT 0
);
CREATE INDEX authkit_mfa_devices_user ON authkit_mfa_devices (user_id, created_at, id COLLATE "C");
CREATE UNIQUE INDEX authkit_mfa_devices_one_default ON authkit_mfa_devices (user_id) WHERE is_default;

-- mfa: failed-attempt windows per key.
CREATE TABLE authkit_mfa_attempts (
    key        text        PRIMARY KEY,
    count      integer     NOT NULL,
    window_end timestamptz NOT NULL
);
CREATE INDEX authkit_mfa_attempts_window_end ON authkit_mfa_attempts (window_end);

-- mfa: recovery-code sets (one per user) and their unused codes.
CREATE TABLE authkit_mfa_recovery_sets (
    user_id         text        PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    acknowledgement text        NOT NULL DEFAULT ''
);
CREATE TABLE authkit_mfa_recovery_codes (
    user_id  text    NOT NULL,
    digest   bytea   NOT NULL,
    sealed   bytea   NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (user_id, digest)
);

-- mfa: MFA tokens, by keyed digest.
CREATE TABLE authkit_mfa_tokens (
    digest     bytea       PRIMARY KEY,
    user_id    text        NOT NULL,
    session_id text        NOT NULL DEFAULT '',
    single_use boolean     NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX authkit_mfa_tokens_expires_at ON authkit_mfa_tokens (expires_at);

-- session: sessions and used token ids.
CREATE TABLE authkit_sessions (
    id             text        PRIMARY KEY,
    user_id        text        NOT NULL,
    environment_id text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz
);
CREATE INDEX authkit_sessions_user ON authkit_sessions (user_id);
CREATE INDEX authkit_sessions_expires_at ON authkit_sessions (expires_at);
CREATE TABLE authkit_session_jtis (
    jti        text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX authkit_session_jtis_expires_at ON authkit_session_jtis (expires_at);

-- oauth: sign-in states.
CREATE TABLE authkit_oauth_states (
    state             text        PRIMARY KEY,
    provider          text        NOT NULL,
    redirect_url      text        NOT NULL,
    return_url        text        NOT NULL DEFAULT '',
    code_verifier     text        NOT NULL DEFAULT '',
    code_challenge    text        NOT NULL DEFAULT '',
    nonce             text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    callback_at       timestamptz,
    code              text        NOT NULL DEFAULT '',
    error             text        NOT NULL DEFAULT '',
    error_description text        NOT NULL DEFAULT '',
    callback_user     text        NOT NULL DEFAULT '',
    consumed_at       timestamptz
);
CREATE INDEX authkit_oauth_states_expires_at ON authkit_oauth_states (expires_at);

-- ratelimit: GCRA theoretical arrival time (unix nanoseconds) per limiter
-- name and key. Keys are bytea: a key may hold any bytes, NUL included.
CREATE TABLE authkit_rate_limits (
    name text   NOT NULL,
    key  bytea  NOT NULL,
    tat  bigint NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX authkit_rate_limits_tat ON authkit_rate_limits (tat);
