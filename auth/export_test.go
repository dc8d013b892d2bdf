package auth

// CacheLen exposes the verified-token cache size to the external tests.
func CacheLen(a *Authenticator) int {
	if a.cache == nil {
		return 0
	}
	return a.cache.len()
}
