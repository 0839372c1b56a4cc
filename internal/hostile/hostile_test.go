package hostile

import (
	"bytes"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCorpusSize(t *testing.T) {
	t.Parallel()
	files, names := Files(), Names()
	if n := len(files) + len(names); n < 40 {
		t.Errorf("%d items, the issue asks for at least 40", n)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Name] || !strings.HasPrefix(f.Name, Folder) {
			t.Errorf("file name %q repeated or outside %s", f.Name, Folder)
		}
		seen[f.Name] = true
	}
	for _, n := range names {
		if seen[n.Name] {
			t.Errorf("name %q repeated, or a stored file's", n.Name)
		}
		seen[n.Name] = true
	}
	if !bytes.Equal(Files()[5].Data, files[5].Data) {
		t.Error("the corpus differs between calls: it must be deterministic")
	}
}

func TestLongNamesAreLong(t *testing.T) {
	t.Parallel()
	var long int
	for _, n := range Names() {
		if len(n.Name) >= 1000 {
			long++
		}
		if strings.Contains(n.What, "1,000") && len(n.Name) < 1000 {
			t.Errorf("%s: %d bytes", n.What, len(n.Name))
		}
	}
	if long < 3 {
		t.Errorf("%d names of 1,000 bytes or more, want 3", long)
	}
	if ConfusableName == Decoy || !utf8.ValidString(ConfusableName) || strings.ToLower(ConfusableName) == Decoy {
		t.Error("the confusable name must differ from the decoy by a look-alike letter")
	}
}

// The image bombs declare what they say; Go's decoders read the header only.
func TestImageHeaders(t *testing.T) {
	t.Parallel()
	byName := map[string]File{}
	for _, f := range Files() {
		byName[strings.TrimPrefix(f.Name, Folder)] = f
	}
	tests := []struct {
		name          string
		width, height int
	}{
		{"bomb-100k.png", 100_000, 100_000},
		{"bomb-tall.png", 1, 200_000_000},
		{"bomb-inflate.png", 6000, 6000},
		{"bomb.jpg", 65500, 65500},
		{"png-named.pdf", 64, 32},
	}
	for _, tt := range tests {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(byName[tt.name].Data))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if cfg.Width != tt.width || cfg.Height != tt.height {
			t.Errorf("%s: %d x %d, want %d x %d", tt.name, cfg.Width, cfg.Height, tt.width, tt.height)
		}
	}
	if len(byName["bomb-inflate.png"].Data) > 100<<10 {
		t.Errorf("bomb-inflate.png is %d bytes: not much of a bomb", len(byName["bomb-inflate.png"].Data))
	}
	if _, _, err := image.Decode(bytes.NewReader(byName["truncated.png"].Data)); err == nil {
		t.Error("truncated.png decodes")
	}
	if _, _, err := image.Decode(bytes.NewReader(byName["bad-crc.png"].Data)); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("bad-crc.png: %v, want a checksum error", err)
	}
}

// qpdf, an independent PDF reader, agrees with what each PDF claims to be.
func TestPDFsAsQpdfSeesThem(t *testing.T) {
	t.Parallel()
	qpdf, err := exec.LookPath("qpdf")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("qpdf is not installed: scripts/deps.sh installs it")
		}
		t.Skip("qpdf is not installed")
	}
	dir := t.TempDir()
	files := Files()
	path := func(name string) string {
		for _, f := range files {
			if f.Name == Folder+name {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, f.Data, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
		t.Fatalf("no %s in the corpus", name)
		return ""
	}
	qdf := func(args ...string) (string, error) {
		out, err := exec.Command(qpdf, append([]string{"--qdf", "--object-streams=disable"}, append(args, "-")...)...).CombinedOutput()
		return string(out), err
	}

	valid := []string{"javascript.pdf", "embedded-file.pdf", "huge-page.pdf"}
	for _, name := range valid {
		if out, err := exec.Command(qpdf, "--check", path(name)).CombinedOutput(); err != nil {
			t.Errorf("%s is not a well-formed PDF: %v\n%s", name, err, out)
		}
	}
	if out, _ := qdf(path("javascript.pdf")); !strings.Contains(out, "/JavaScript") || !strings.Contains(out, Payload) {
		t.Error("javascript.pdf carries no script")
	}
	if out, _ := exec.Command(qpdf, "--list-attachments", path("embedded-file.pdf")).CombinedOutput(); !strings.Contains(string(out), "invoice.exe") {
		t.Errorf("embedded-file.pdf has no attachment: %s", out)
	}
	if out, _ := exec.Command(qpdf, "--check", path("page-tree-cycle.pdf")).CombinedOutput(); !strings.Contains(strings.ToLower(string(out)), "loop") {
		t.Errorf("qpdf sees no loop in page-tree-cycle.pdf:\n%s", out)
	}

	// Encrypted: a password is required, and the right one reveals the page.
	enc := path("encrypted.pdf")
	if err := exec.Command(qpdf, "--requires-password", enc).Run(); err != nil {
		t.Errorf("encrypted.pdf opens without a password (qpdf --requires-password: %v)", err)
	}
	if out, err := qdf("--password=s3cret", "--decrypt", enc); err != nil || !strings.Contains(out, InvoiceText) {
		t.Errorf("encrypted.pdf does not decrypt with its password to the invoice: %v\n%.300s", err, out)
	}

	// (The flate bomb is left out: qpdf --check inflates and parses its
	// 64 MiB of content for two minutes, which is the bomb working.)
	for _, name := range []string{"truncated-half.pdf", "truncated-header.pdf", "corrupt-noise.pdf"} {
		out, err := exec.Command(qpdf, "--check", path(name)).CombinedOutput()
		if err == nil && !strings.Contains(string(out), "WARNING") {
			t.Errorf("qpdf finds nothing wrong with %s", name)
		}
	}
}
