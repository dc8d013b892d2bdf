package auth

import "strconv"

// String describes the key by algorithm and kid; key material is never
// printed.
func (k Key) String() string {
	kind := "verification"
	if k.CanSign() {
		kind = "signing"
	}
	return k.alg + " " + kind + " key " + strconv.Quote(k.kid)
}

// GoString is like String, so %#v does not print key material either.
func (k Key) GoString() string { return "auth.Key(" + k.String() + ")" }

// String describes the authenticator without its refresh key.
func (a *Authenticator) String() string {
	return "auth.Authenticator(issuer " + strconv.Quote(a.issuer) + ", audience " + strconv.Quote(a.audience) + ")"
}

// GoString is like String.
func (a *Authenticator) GoString() string { return a.String() }

// String describes the options with RefreshKey redacted, so printing
// them by mistake does not leak the secret.
func (o Options) String() string {
	return "auth.Options{Issuer: " + strconv.Quote(o.Issuer) + ", Audience: " + strconv.Quote(o.Audience) +
		", RefreshKey: [redacted " + strconv.Itoa(len(o.RefreshKey)) + " bytes], ...}"
}

// GoString is like String.
func (o Options) GoString() string { return o.String() }
