-- Fewer writes and round trips on the sign-in path.

-- authkit_rate_limit_sliding as in 0008, deciding the same way, with one
-- row version per allowed event instead of two: the key's row is locked
-- with SELECT … FOR UPDATE (no write), and an unseen key, which every rule
-- allows, is inserted with its first event. A denied event writes nothing.
-- If another transaction inserts the key first, the insert does nothing
-- and the row is locked and read again; under REPEATABLE READ or
-- SERIALIZABLE that insert fails with a serialization failure instead,
-- which the store retries.
CREATE OR REPLACE FUNCTION authkit_rate_limit_sliding(p_name text, p_key bytea, p_now bigint, p_limit integer,
    p_window bigint, p_cooldown bigint, p_lifetime integer,
    OUT allowed boolean, OUT wait bigint, OUT n integer, OUT cnt integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    ts     bigint[];
    m      integer;
    i      integer;
    from_t bigint;
    t      bigint;
    cd     bigint;
BEGIN
    allowed := false;
    wait := 0;
    FOR attempt IN 1..3 LOOP
        SELECT r.events, r.total INTO ts, cnt FROM authkit_rate_limits r
        WHERE r.name = p_name AND r.key = p_key FOR UPDATE;
        EXIT WHEN FOUND;
        n := CASE WHEN p_window > 0 THEN 1 ELSE 0 END;
        cnt := CASE WHEN p_lifetime > 0 THEN 1 ELSE 0 END;
        INSERT INTO authkit_rate_limits (name, key, tat, events, total)
        VALUES (p_name, p_key,
            CASE WHEN cnt > 0 THEN 9223372036854775807 ELSE p_now + p_window END,
            CASE WHEN p_window > 0 THEN ARRAY[p_now] ELSE '{}' END, cnt)
        ON CONFLICT (name, key) DO NOTHING;
        IF FOUND THEN
            allowed := true;
            RETURN;
        END IF;
        IF attempt = 3 THEN
            RAISE EXCEPTION 'rate limit key inserted and removed concurrently' USING ERRCODE = 'serialization_failure';
        END IF;
    END LOOP;

    ts := coalesce(ts, '{}');
    IF p_window > 0 THEN
        ts := ARRAY(SELECT x FROM unnest(ts) AS x WHERE x > p_now - p_window ORDER BY x);
    END IF;
    n := coalesce(array_length(ts, 1), 0);

    IF p_lifetime > 0 AND cnt >= p_lifetime THEN
        RETURN;
    END IF;
    IF p_window > 0 THEN
        -- Let k of the oldest events have left the window.
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
            CONTINUE search WHEN p_limit > 0 AND m >= p_limit;
            cd := p_cooldown;
            i := 1;
            WHILE i < m AND cd < p_window LOOP
                cd := cd * 2;
                i := i + 1;
            END LOOP;
            t := greatest(ts[n] + cd, from_t);
            IF t < ts[k + 1] + p_window THEN
                wait := t - p_now;
                EXIT search;
            END IF;
        END LOOP;
        IF wait > 0 THEN
            RETURN;
        END IF;
    END IF;

    IF p_window > 0 THEN
        ts := ARRAY(SELECT x FROM unnest(ts || p_now) AS x ORDER BY x);
        n := n + 1;
    END IF;
    IF p_lifetime > 0 THEN
        cnt := cnt + 1;
    END IF;
    UPDATE authkit_rate_limits
    SET events = ts, total = cnt,
        tat = CASE WHEN cnt > 0 THEN 9223372036854775807 ELSE ts[n] + p_window END
    WHERE name = p_name AND key = p_key;
    allowed := true;
END
$fn$;

-- authkit_rate_limit_gcra decides and records one event for (p_name,
-- p_key) at p_now under a GCRA rule (all ns), as the store's GCRA
-- statement does: allowed, the key's theoretical arrival time becomes
-- max(tat, now) + interval if that lies within span of now. Denied,
-- nothing is written and wait is the time until an event is allowed. The
-- upsert locks the key's row even when its condition fails, so the read
-- that explains a denial sees the version that was decided on.
CREATE FUNCTION authkit_rate_limit_gcra(p_name text, p_key bytea, p_now bigint, p_interval bigint, p_span bigint,
    OUT allowed boolean, OUT wait bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    cur bigint;
BEGIN
    wait := 0;
    INSERT INTO authkit_rate_limits AS r (name, key, tat) VALUES (p_name, p_key, p_now + p_interval)
    ON CONFLICT (name, key) DO UPDATE SET tat = greatest(r.tat, p_now) + p_interval
    WHERE greatest(r.tat, p_now) + p_interval - p_now <= p_span;
    allowed := FOUND;
    IF NOT allowed THEN
        SELECT r.tat INTO cur FROM authkit_rate_limits r WHERE r.name = p_name AND r.key = p_key;
        wait := greatest(cur, p_now) + p_interval - p_span - p_now;
    END IF;
END
$fn$;

-- authkit_verification_create is a verification's start in one call: one
-- event on p_key for each limit in order (p_sliding[i] picks the rule's
-- kind; a sliding rule uses p_limit, p_window, p_cooldown and p_lifetime, a
-- GCRA rule p_interval and p_span), stopping at the first that refuses,
-- then the insert of the verification if none did. refused is the 1-based
-- index of the limit that refused (0: none) and wait its wait; created is
-- false when the id is taken. Events counted before a refusal stay
-- counted, as when the limits are asked one by one.
CREATE FUNCTION authkit_verification_create(
    p_names text[], p_key bytea, p_now bigint[], p_sliding boolean[], p_limit integer[], p_window bigint[],
    p_cooldown bigint[], p_lifetime integer[], p_interval bigint[], p_span bigint[],
    p_id text, p_channel text, p_destination text, p_phone_country_code text, p_phone_national text,
    p_phone_region text, p_code_hash bytea, p_attempts integer, p_sends integer, p_created_at timestamptz,
    p_sent_at timestamptz, p_expires_at timestamptz, p_purge_at timestamptz, p_used_at timestamptz,
    OUT refused integer, OUT wait bigint, OUT created boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    ok boolean;
BEGIN
    refused := 0;
    wait := 0;
    created := false;
    FOR i IN 1..coalesce(array_length(p_names, 1), 0) LOOP
        IF p_sliding[i] THEN
            SELECT s.allowed, s.wait INTO ok, wait FROM authkit_rate_limit_sliding(p_names[i], p_key, p_now[i],
                p_limit[i], p_window[i], p_cooldown[i], p_lifetime[i]) AS s;
        ELSE
            SELECT g.allowed, g.wait INTO ok, wait FROM authkit_rate_limit_gcra(p_names[i], p_key, p_now[i],
                p_interval[i], p_span[i]) AS g;
        END IF;
        IF NOT ok THEN
            refused := i;
            RETURN;
        END IF;
    END LOOP;
    wait := 0;
    INSERT INTO authkit_verifications (id, channel, destination, phone_country_code, phone_national, phone_region,
        code_hash, attempts, sends, created_at, sent_at, expires_at, purge_at, used_at)
    VALUES (p_id, p_channel, p_destination, p_phone_country_code, p_phone_national, p_phone_region,
        p_code_hash, p_attempts, p_sends, p_created_at, p_sent_at, p_expires_at, p_purge_at, p_used_at)
    ON CONFLICT (id) DO NOTHING;
    created := FOUND;
END
$fn$;
