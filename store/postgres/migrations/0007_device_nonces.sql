-- devicebind: issued device nonces, stored as the SHA-256 of the nonce;
-- each is deleted by the request that uses it.
CREATE TABLE authkit_device_nonces (
    digest     bytea       PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX authkit_device_nonces_expires_at ON authkit_device_nonces (expires_at);
