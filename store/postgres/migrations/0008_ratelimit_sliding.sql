-- ratelimit is the one place that counts: verification send limits and mfa
-- failure limits are ratelimit limiters on authkit_rate_limits, so the
-- per-package copies of their rules go.
--
-- A Sliding rule's row keeps its events in the window (unix ns, oldest
-- first) in events and the events counted against its Lifetime cap in
-- total; its tat is when the newest event leaves the window, or max bigint
-- while total > 0, so Cleanup's "tat <= now" holds for both kinds. GCRA
-- rows leave events NULL and total 0.
ALTER TABLE authkit_rate_limits ADD COLUMN events bigint[], ADD COLUMN total integer NOT NULL DEFAULT 0;

-- authkit_rate_limit_sliding decides and records one event for (p_name,
-- p_key) at p_now under a Sliding rule (all times ns; p_window 0 when the
-- rule is a Lifetime cap alone, p_lifetime 0 for none). It ports
-- ratelimit's Rule.slidingWait exactly (the conformance suite compares
-- every decision with ratelimit.Memory). Allowed: the event is recorded, n
-- is the count in the window and cnt the lifetime count. Denied: nothing is
-- recorded and wait is the time until an event is allowed (0 at the
-- Lifetime cap). The row lock taken by the upsert serialises one key's
-- events.
CREATE FUNCTION authkit_rate_limit_sliding(p_name text, p_key bytea, p_now bigint, p_limit integer,
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
    INSERT INTO authkit_rate_limits AS r (name, key, tat, events)
    VALUES (p_name, p_key, p_now, '{}')
    ON CONFLICT (name, key) DO UPDATE SET tat = r.tat
    RETURNING r.events, r.total INTO ts, cnt;

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

-- The copies this replaces.
DROP FUNCTION authkit_record_send(text, bigint, integer, bigint, bigint);
DROP TABLE authkit_verification_sends;
DROP TABLE authkit_mfa_attempts;
