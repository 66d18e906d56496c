-- account: users and their verified credentials (package account).

-- One row per user. profile holds the writable profile fields as one JSON
-- object under the SDK's camelCase names, so that UpdateProfile merges a
-- patch in one statement (profile || patch).
CREATE TABLE authkit_users (
    id                          text        PRIMARY KEY,
    environment_id              text        NOT NULL DEFAULT '',
    profile                     jsonb       NOT NULL DEFAULT '{}',
    first_visit                 timestamptz NOT NULL,
    last_visit                  timestamptz NOT NULL,
    last_verified_credential_id text        NOT NULL DEFAULT ''
);

-- One row per credential. The unique key is the canonical identity
-- (account.Credential.Key): a credential has at most one owner whatever the
-- concurrency. data is the credential's wire JSON without the columns.
CREATE TABLE authkit_user_credentials (
    id               text        PRIMARY KEY,
    user_id          text        NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    key              text        NOT NULL UNIQUE,
    sign_in_enabled  boolean     NOT NULL,
    data             jsonb       NOT NULL,
    last_selected_at timestamptz,
    position         bigint      GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX authkit_user_credentials_user ON authkit_user_credentials (user_id, position);
