-- mfa: failures counted across windows, for the lifetime cap on TOTP
-- failures (NIST SP 800-63B-4 §3.2.2). A row whose lifetime count is above 0
-- outlives its window, so Cleanup deletes a row only when its window has
-- ended and its lifetime count is 0; the index serves that query alone.
ALTER TABLE authkit_mfa_attempts ADD COLUMN lifetime integer NOT NULL DEFAULT 0;
DROP INDEX authkit_mfa_attempts_window_end;
CREATE INDEX authkit_mfa_attempts_window_end ON authkit_mfa_attempts (window_end) WHERE lifetime = 0;
