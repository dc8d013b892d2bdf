// Package secrets loads an application's secrets from layered sources,
// keeps them out of logs, follows their rotation, and encrypts sensitive
// database fields.
//
// # Loading
//
// A [Provider] looks secrets up by name: [Env] (environment variables, with
// the NAME_FILE convention), [Dir] (a directory of files: Docker and
// Kubernetes secrets, [DefaultDir] by default), [Map] (fixed values) and
// [Chain] (several, in priority order). AWS Secrets Manager is in the
// subpackage secrets/awssm, so only programs that use it import the AWS SDK.
//
// [Load] resolves a spec set ([Spec]: name, required, default, validation)
// against the providers and reports every problem at once: one error joining
// an [*Error] per secret, naming it and the reason, never the value. An empty
// value counts as missing. [ChainSync] is the ChainSync spec set.
//
//	set, err := secrets.Load(ctx, secrets.ChainSync(), &secrets.Env{}, &secrets.Dir{})
//	if err != nil {
//		log.Fatal(err) // every missing or invalid secret, by name
//	}
//	db, err := pgxpool.New(ctx, set.Get(secrets.DatabaseURL).Reveal())
//
// In development ([Options.Development], through [New] and [Set.Refresh]),
// a missing required secret is generated when its spec can
// ([Spec.Generate]: the JWT secrets and ENCRYPTION_KEY of ChainSync) or left
// missing, with a warning for each, instead of failing.
//
// # Redaction
//
// Secrets are [Value]s. A Value prints, marshals and logs as [Redacted]
// under every fmt verb, JSON, text marshalling and log/slog; its plaintext
// comes only from [Value.Reveal].
//
// # Rotation
//
// [Set.Refresh] asks the providers again, and [Set.Watch] does so at an
// interval. Listeners registered with [Set.OnChange] hear about each value
// that changed, and [Set.Follow] hands one secret's value to a function now
// and after each change, which lets a service swap a JWT signing key
// without a restart. A secret whose refresh fails keeps its last good value, and the
// failure is reported.
//
// # Field encryption
//
// A [Keyring] encrypts fields with AES-256-GCM under its primary key and
// decrypts under any of its keys: the text envelope "v1:<key id>:<base64url
// of nonce||ciphertext||tag>" says which. [ParseKeyring] reads one from
// ENCRYPTION_KEY ("key" or "new,old" during a rotation); [Keyring.Rewrap]
// moves old ciphertexts to the primary key; [Keyring.Derive] makes HKDF
// subkeys per purpose. Associated data ([AssociatedData]) ties a ciphertext
// to its table, column and row. [Keyring.Valuer] and [Keyring.Scanner] let
// database/sql and pgx write and read encrypted columns. A [BlindIndex]
// gives deterministic keyed digests (HMAC-SHA-256) of canonicalised values
// for equality lookups on encrypted columns.
package secrets
