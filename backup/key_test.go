package backup

import (
	"strings"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/fault"
)

// A public key that nothing can be encrypted to (a signing-only key, as
// `gpg --quick-gen-key NAME default sign` makes) is refused by FromConfig,
// which the worker calls at start; a key with an encryption subkey is not.
func TestFromConfigRefusesAKeyThatCannotEncrypt(t *testing.T) {
	t.Parallel()
	_, good, _ := gpgHome(t, "")
	signOnly := signingOnlyKey(t)
	for _, tt := range []struct {
		name, key string
		ok        bool
	}{
		{"encryption subkey", good, true},
		{"signing only", signOnly, false},
	} {
		_, err := FromConfig(config.Config{Backup: config.Backup{GPGPublicKey: tt.key, TimeZone: "UTC"}})
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.ok && (!fault.IsBadInput(err) || !strings.Contains(err.Error(), "DBBACKUP_GPG_PUBLIC_KEY") || !strings.Contains(err.Error(), "can encrypt")):
			t.Errorf("%s: %v, want bad input naming DBBACKUP_GPG_PUBLIC_KEY and saying it cannot encrypt", tt.name, err)
		}
	}
}

func signingOnlyKey(t *testing.T) string {
	t.Helper()
	_, gpg := newGPG(t, "")
	gpg("--quick-gen-key", "Signer <signer@example.com>", "default", "sign", "never")
	return gpg("--armor", "--export", "signer@example.com")
}
