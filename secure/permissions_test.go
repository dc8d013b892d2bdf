package secure_test

import (
	"strings"
	"testing"

	"github.com/chainsync/middleware/secure"
)

func TestPermissionsPolicy(t *testing.T) {
	tests := []struct {
		name, want, wantErr string
		p                   secure.PermissionsPolicy
	}{
		{name: "deny", p: secure.PermissionsPolicy{}.Deny("camera", "microphone"), want: "camera=(), microphone=()"},
		{name: "self and origins quoted", p: secure.PermissionsPolicy{}.Allow("payment", secure.AllowSelf, "HTTPS://Pay.ChainSync.example:443"),
			want: `payment=(self "https://pay.chainsync.example")`},
		{name: "all is a bare token", p: secure.PermissionsPolicy{}.Allow("fullscreen", secure.AllowAll), want: "fullscreen=*"},
		{name: "src", p: secure.PermissionsPolicy{}.Allow("autoplay", "src"), want: "autoplay=(src)"},
		{name: "empty allowlist denies", p: secure.PermissionsPolicy{}.Allow("usb"), want: "usb=()"},
		{name: "allow replaces deny in place", p: secure.DefaultPermissionsPolicy().Allow("camera", secure.AllowSelf).Remove("accelerometer").Remove("autoplay"),
			want: "camera=(self), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=()"},
		{name: "empty", p: secure.PermissionsPolicy{}, wantErr: "empty"},
		{name: "uppercase feature", p: secure.PermissionsPolicy{}.Deny("Camera"), wantErr: "invalid feature"},
		{name: "injection in feature", p: secure.PermissionsPolicy{}.Deny("camera=*, x"), wantErr: "invalid feature"},
		{name: "origin with path", p: secure.PermissionsPolicy{}.Allow("camera", "https://a.example/x"), wantErr: "no path"},
		{name: "quote injection in origin", p: secure.PermissionsPolicy{}.Allow("camera", `https://a.example" *`), wantErr: "camera"},
		{name: "all with others", p: secure.PermissionsPolicy{}.Allow("camera", secure.AllowAll, secure.AllowSelf), wantErr: "only member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Build() = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				if tt.p.String() != "" {
					t.Fatalf("String() of an invalid policy = %q", tt.p.String())
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Build() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	base := secure.DefaultPermissionsPolicy()
	_ = base.Allow("camera", secure.AllowSelf)
	if !strings.Contains(base.String(), "camera=()") {
		t.Fatal("Allow changed the receiver")
	}
}
