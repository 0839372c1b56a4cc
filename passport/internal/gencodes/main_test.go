package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestTableUpToDate regenerates the table from the installed iso-codes and
// compares it with the committed one, so a drift shows up in review.
func TestTableUpToDate(t *testing.T) {
	const in = "/usr/share/iso-codes/json/iso_3166-1.json"
	if _, err := os.Stat(in); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("iso-codes not installed: %v", err)
		}
		t.Skipf("iso-codes not installed (apt-get install iso-codes): %v", err)
	}
	out := filepath.Join(t.TempDir(), "codes_table.go")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../codes_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("codes_table.go is stale: run go generate in passport/")
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	for _, body := range []string{"not json", `{"3166-1": [{"alpha_3": "ABW"}]}`, `{"3166-1": []}`} {
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := run(bad, filepath.Join(dir, "out.go")); err == nil {
			t.Errorf("run accepted %q", body)
		}
	}
	if err := run(filepath.Join(dir, "missing.json"), filepath.Join(dir, "out.go")); err == nil {
		t.Error("run accepted a missing file")
	}
}
