-- mfa: recovery-code failures, one row per user, so that the failure
-- limit, the consume and the failure count are one step under the lock of
-- the user's recovery set row (authkit_mfa_recovery_attempt) instead of a
-- reserve on a rate-limit key, a consume and a refund. A row is a sliding
-- rule's log, as in authkit_rate_limits: the failures in events (unix ns,
-- oldest first; those that left the window are dropped at the next
-- failure), the lifetime count in total, and in clear_at when the row equals
-- a user never seen (the newest event leaves the window; max bigint while
-- total > 0), which Cleanup compares with now. The rows outlive a replaced
-- or deleted set: a new set must not bring a fresh budget of guesses.
CREATE TABLE authkit_mfa_recovery_failures (
    user_id  text     PRIMARY KEY,
    events   bigint[] NOT NULL,
    total    integer  NOT NULL,
    clear_at bigint   NOT NULL
);
CREATE INDEX authkit_mfa_recovery_failures_clear_at ON authkit_mfa_recovery_failures (clear_at);

-- authkit_sliding_wait is the SQL home of ratelimit's Rule.slidingWait,
-- which it ports line by line: given a key's events in the window at p_now
-- (ts, sorted, all > p_now - p_window) and its lifetime count cnt, the time
-- after p_now when a Sliding rule allows an event, 0 if it allows one at
-- p_now, -1 if none ever will be (the Lifetime cap). All times are ns;
-- p_window 0 is a Lifetime cap alone, p_lifetime 0 none.
CREATE FUNCTION authkit_sliding_wait(ts bigint[], cnt integer, p_now bigint, p_limit integer,
    p_window bigint, p_cooldown bigint, p_lifetime integer)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    n      integer := coalesce(array_length(ts, 1), 0);
    m      integer;
    i      integer;
    from_t bigint;
    t      bigint;
    cd     bigint;
BEGIN
    IF p_lifetime > 0 AND cnt >= p_lifetime THEN
        RETURN -1;
    END IF;
    IF p_window = 0 THEN
        RETURN 0;
    END IF;
    -- Let k of the oldest events have left the window; that holds for T in
    -- [ts[k] + p_window, ts[k+1] + p_window). Try k = 0, 1, … in turn.
    FOR k IN 0..n LOOP
        from_t := p_now;
        IF k > 0 AND ts[k] + p_window > from_t THEN
            from_t := ts[k] + p_window;
        END IF;
        m := n - k;
        IF m = 0 THEN
            RETURN from_t - p_now;
        END IF;
        CONTINUE WHEN p_limit > 0 AND m >= p_limit;
        -- The cooldown after the m-th event: p_cooldown·2^(m−1), the
        -- doubling stopped once it reaches the window.
        cd := p_cooldown;
        i := 1;
        WHILE i < m AND cd > 0 AND cd < p_window LOOP
            cd := cd * 2;
            i := i + 1;
        END LOOP;
        t := greatest(ts[n] + cd, from_t);
        IF t < ts[k + 1] + p_window THEN
            RETURN t - p_now;
        END IF;
    END LOOP;
    RETURN 0; -- not reached: k = n always returns
END
$fn$;

-- authkit_rate_limit_sliding as in 0010, its wait now computed by
-- authkit_sliding_wait: same signature, same decisions.
CREATE OR REPLACE FUNCTION authkit_rate_limit_sliding(p_name text, p_key bytea, p_now bigint, p_limit integer,
    p_window bigint, p_cooldown bigint, p_lifetime integer,
    OUT allowed boolean, OUT wait bigint, OUT n integer, OUT cnt integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    ts bigint[];
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

    wait := authkit_sliding_wait(ts, cnt, p_now, p_limit, p_window, p_cooldown, p_lifetime);
    IF wait <> 0 THEN
        wait := greatest(wait, 0);
        RETURN;
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

-- authkit_mfa_recovery_attempt is one recovery-code attempt of p_user
-- under a Sliding rule on the user's failures, at p_now (ns), as
-- ratelimit's Rule.Attempt decides on a Log. has_set is false when the
-- user has no set (nothing is counted). Otherwise, with the set row
-- locked (which serialises the user's attempts, consumptions and
-- replacements) and then the failures row: refused (allowed false),
-- nothing changes and wait is the time until an attempt is allowed (0 at
-- the Lifetime cap). Allowed, the code whose digest comes first in
-- p_digests is deleted and left_codes is the count of codes left; if none
-- matches, left_codes is -1 and the failure is counted. n and cnt are the
-- rule's window and lifetime counts that Decision.Remaining is computed
-- from: before the attempt for a used code, after it for a counted
-- failure.
CREATE FUNCTION authkit_mfa_recovery_attempt(p_user text, p_digests bytea[], p_now bigint, p_limit integer,
    p_window bigint, p_cooldown bigint, p_lifetime integer,
    OUT has_set boolean, OUT allowed boolean, OUT wait bigint, OUT left_codes integer, OUT n integer, OUT cnt integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    ts bigint[];
BEGIN
    allowed := false;
    wait := 0;
    left_codes := -1;
    n := 0;
    cnt := 0;
    PERFORM 1 FROM authkit_mfa_recovery_sets s WHERE s.user_id = p_user FOR UPDATE;
    has_set := FOUND;
    IF NOT has_set THEN
        RETURN;
    END IF;
    SELECT f.events, f.total INTO ts, cnt FROM authkit_mfa_recovery_failures f
    WHERE f.user_id = p_user FOR UPDATE;
    ts := coalesce(ts, '{}');
    cnt := coalesce(cnt, 0);

    IF p_window > 0 THEN
        ts := ARRAY(SELECT x FROM unnest(ts) AS x WHERE x > p_now - p_window ORDER BY x);
    END IF;
    n := coalesce(array_length(ts, 1), 0);
    wait := authkit_sliding_wait(ts, cnt, p_now, p_limit, p_window, p_cooldown, p_lifetime);
    IF wait <> 0 THEN
        wait := greatest(wait, 0);
        RETURN;
    END IF;
    allowed := true;

    FOR i IN 1..coalesce(array_length(p_digests, 1), 0) LOOP
        DELETE FROM authkit_mfa_recovery_codes c WHERE c.user_id = p_user AND c.digest = p_digests[i];
        IF FOUND THEN
            SELECT count(*) INTO left_codes FROM authkit_mfa_recovery_codes c WHERE c.user_id = p_user;
            RETURN;
        END IF;
    END LOOP;

    IF p_window > 0 THEN
        ts := ARRAY(SELECT x FROM unnest(ts || p_now) AS x ORDER BY x);
        n := n + 1;
    END IF;
    IF p_lifetime > 0 THEN
        cnt := cnt + 1;
    END IF;
    INSERT INTO authkit_mfa_recovery_failures AS f (user_id, events, total, clear_at)
    VALUES (p_user, ts, cnt, CASE WHEN cnt > 0 THEN 9223372036854775807 ELSE ts[n] + p_window END)
    ON CONFLICT (user_id) DO UPDATE SET events = EXCLUDED.events, total = EXCLUDED.total, clear_at = EXCLUDED.clear_at;
END
$fn$;
