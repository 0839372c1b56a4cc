package tempdir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpenSweepsDeadKeepsLive(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()

	live, _, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := os.WriteFile(filepath.Join(live.Path, "scan.png"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A folder left by a process that died: same layout, nobody holds its lock.
	dead := filepath.Join(parent, prefix+"12345")
	if err := os.MkdirAll(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, lockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, "half.pdf"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Something that is not ours stays.
	other := filepath.Join(parent, "unrelated")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}

	second, swept, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(swept, []string{dead}) {
		t.Errorf("swept %v, want only %s", swept, dead)
	}
	for _, keep := range []string{filepath.Join(live.Path, "scan.png"), other, second.Path} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead folder still there: %v", err)
	}

	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(second.Path); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", second.Path, err)
	}
	if got, _ := filepath.Glob(filepath.Join(parent, ".new-*")); len(got) != 0 {
		t.Errorf("staging folders left: %v", got)
	}
}
