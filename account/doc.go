// Package account owns users and their verified credentials: it finds or
// creates the user a proven credential belongs to, links and unlinks
// credentials, keeps the profile fields and the first and last visit, and
// deletes a user or resets its MFA together with what other packages hold
// for it.
//
// The other packages prove things: verification that a phone number or
// mailbox is reachable, oauth that a provider vouches for an account, mfa
// that a second factor is present. This package decides which user that
// proof signs in, which is where account takeovers happen, so it holds to
// a few rules on every store:
//
//   - A credential belongs to at most one user, under a canonical key (see
//     Key): the E.164 number, the normalised mailbox, the provider and
//     account id. N concurrent first sign-ins with one new credential create
//     one user; of two concurrent links of one credential to two users, one
//     wins and the other gets ErrCredentialTaken with nothing changed.
//     Credentials are never moved or merged between users.
//   - A user's last sign-in-enabled credential cannot be unlinked
//     (ErrLastCredential).
//   - Ids, credentials and profile fields are validated before any store
//     call; a store error is returned as is and never yields a user.
//   - Delete revokes the user's sessions and removes its MFA factors
//     through the Purgers the host configures (RevokeSessions over
//     *session.Manager, DeleteMFA over *mfa.Service, a PurgerFunc over
//     passkey.Service.DeleteUser), so that the user's tokens stop working
//     at once.
//
// # Storage
//
// Store is the small interface a backend implements; each method is one
// atomic operation. MemoryStore serves one process; store/postgres and
// store/redis serve several instances on one database. accounttest.RunStoreTests
// checks any implementation, concurrency included.
//
// A host with its own users table implements Store over it. The table keeps
// its columns; a second table holds the credentials, with a unique index
// on the key that makes "one owner per credential" hold under any
// concurrency:
//
//	CREATE TABLE user_credentials (
//	    id          text PRIMARY KEY,
//	    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
//	    key         text NOT NULL UNIQUE,  -- Credential.Key
//	    sign_in     boolean NOT NULL,      -- SignInEnabled
//	    data        jsonb NOT NULL,        -- the VerifiedCredential
//	    selected_at timestamptz,
//	    position    bigint GENERATED ALWAYS AS IDENTITY
//	);
//
// FindOrCreate is then an INSERT … ON CONFLICT (key) DO NOTHING of the user
// and credential in one transaction, falling back to the existing owner;
// Unlink locks the user's row and counts its other sign-in credentials
// before the DELETE. The Profile fields map to the users table's own
// columns (Profile.Apply shows the rules: nil leaves a field unchanged). A
// host whose ids come from a sequence ignores the ids the Service proposes
// and returns its own.
//
// Config.Store is required, as in every authkit package: NewMemoryStore
// for one process, store/postgres or store/redis for several. New reports
// an unusable Config as ErrConfig.
package account
