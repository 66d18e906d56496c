-- mfa: one row per user whose devices have been changed. UpdateDevices
-- locks it (SELECT … FOR UPDATE) before reading the user's devices, so the
-- device rules run in Go on committed data, one update per user at a time,
-- even for a user with no device rows to lock yet.
CREATE TABLE authkit_mfa_device_owners (
    user_id text PRIMARY KEY
);
