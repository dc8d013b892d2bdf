package secrets

import (
	"crypto/rand"
	"encoding/base64"
)

// Names of the ChainSync secrets.
const (
	DatabaseURL      = "DATABASE_URL"
	RedisURL         = "REDIS_URL"
	JWTSecret        = "JWT_SECRET"
	JWTRefreshSecret = "JWT_REFRESH_SECRET"
	EncryptionKey    = "ENCRYPTION_KEY"
	SentryDSN        = "SENTRY_DSN"
	StripeSecretKey  = "STRIPE_SECRET_KEY"
	SendGridAPIKey   = "SENDGRID_API_KEY"
)

// ChainSync returns the spec set of the ChainSync services (a fresh slice
// each call, free to extend):
//
//	DATABASE_URL        required  postgres:// or postgresql:// URL
//	REDIS_URL           required  redis://, rediss:// or unix:// URL
//	JWT_SECRET          required  at least 32 bytes; generated in development
//	JWT_REFRESH_SECRET  required  at least 32 bytes; generated in development
//	ENCRYPTION_KEY      required  base64 or hex of 32 bytes ([ParseKey]); generated in development
//	SENTRY_DSN          optional  http(s) URL
//	STRIPE_SECRET_KEY   optional
//	SENDGRID_API_KEY    optional
//
// In development ([Options.Development]) the two URLs cannot be generated:
// they stay missing, with a warning, and the service falls back to
// in-memory stores.
func ChainSync() []Spec {
	return []Spec{
		{Name: DatabaseURL, Required: true, Validate: URL("postgres", "postgresql")},
		{Name: RedisURL, Required: true, Validate: URL("redis", "rediss", "unix")},
		{Name: JWTSecret, Required: true, Validate: MinLength(32), Generate: GenerateToken(32)},
		{Name: JWTRefreshSecret, Required: true, Validate: MinLength(32), Generate: GenerateToken(32)},
		{Name: EncryptionKey, Required: true, Validate: KeyBytes(KeySize), Generate: GenerateKey},
		{Name: SentryDSN, Validate: URL("https", "http")},
		{Name: StripeSecretKey},
		{Name: SendGridAPIKey},
	}
}

// GenerateToken returns a [Spec.Generate] function making n random bytes,
// base64url-encoded without padding (so the value is longer than n bytes).
func GenerateToken(n int) func() (string, error) {
	return func() (string, error) {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(b), nil
	}
}

// GenerateKey makes a random 32-byte key in standard base64, the form
// [ParseKey] reads and ENCRYPTION_KEY expects. It suits [Spec.Generate].
func GenerateKey() (string, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	defer clear(b)
	return base64.StdEncoding.EncodeToString(b), nil
}
