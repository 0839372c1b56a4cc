package storage

import (
	"errors"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		location, name string
		want           string
		suspicious     bool
	}{
		{"", "passports/abc.pdf", "passports/abc.pdf", false},
		{"", "a/./b/c.pdf", "a/b/c.pdf", false},
		{"", "a//b.pdf", "a/b.pdf", false},
		{"", `a\b\c.pdf`, "a/b/c.pdf", false},
		{"", "folder/", "folder/", false},
		{"", "/abs/x.pdf", "abs/x.pdf", false},
		{"", "scans/Ünïcode name (1).jpg", "scans/Ünïcode name (1).jpg", false},
		{"media", "passports/abc.pdf", "media/passports/abc.pdf", false},
		{"media/", "passports/abc.pdf", "media/passports/abc.pdf", false},
		{"media", "/abs/x.pdf", "", true},
		{"", "../etc/passwd", "", true},
		{"", "a/../../b", "", true},
		{"", `a\..\..\b`, "", true},
		{"", "a/../b", "", true},
		{"media", "../b", "", true},
		{"", "", "", true},
		{"", ".", "", true},
		{"", "/", "", true},
		{"", "a\x00b", "", true},
	}
	for _, tt := range tests {
		got, err := Key(tt.location, tt.name)
		if tt.suspicious {
			if !errors.Is(err, ErrSuspiciousName) {
				t.Errorf("Key(%q, %q) = %q, %v; want ErrSuspiciousName", tt.location, tt.name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Key(%q, %q) = %q, %v; want %q", tt.location, tt.name, got, err, tt.want)
		}
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, typ, enc string }{
		{"a.pdf", "application/pdf", ""},
		{"A.PDF", "application/pdf", ""},
		{"x/y.jpg", "image/jpeg", ""},
		{"y.jpeg", "image/jpeg", ""},
		{"p.png", "image/png", ""},
		{"w.webp", "image/webp", ""},
		{"t.tif", "image/tiff", ""},
		{"t.tiff", "image/tiff", ""},
		{"h.heic", "image/heic", ""},
		{"n.txt", "text/plain", ""},
		{"d.json", "application/json", ""},
		{"c.csv", "text/csv", ""},
		{"b.gz", "application/octet-stream", "gzip"},
		{"n.txt.gz", "text/plain", "gzip"},
		{"default-web1-2026-11-28-020000.psql.bin.gz", "application/octet-stream", "gzip"},
		{"noext", "application/octet-stream", ""},
	}
	for _, tt := range tests {
		typ, enc := ContentType(tt.name)
		if typ != tt.typ || enc != tt.enc {
			t.Errorf("ContentType(%q) = %q, %q; want %q, %q", tt.name, typ, enc, tt.typ, tt.enc)
		}
	}
}

func TestAlternativeName(t *testing.T) {
	t.Parallel()
	// Python's os.path.splitext, as Debian's Django 3.2 uses it.
	tests := []struct{ name, prefix, suffix string }{
		{"doc.pdf", "doc_", ".pdf"},
		{"a/b/doc.pdf", "a/b/doc_", ".pdf"},
		{"archive.tar.gz", "archive.tar_", ".gz"},
		{"noext", "noext_", ""},
		{".hidden", ".hidden_", ""},
		{"d/..a.b", "d/..a_", ".b"},
		{"...b", "...b_", ""},
		{"a.", "a_", "."},
		{"dir.d/file", "dir.d/file_", ""},
	}
	for _, tt := range tests {
		got := alternativeName(tt.name)
		middle := strings.TrimSuffix(strings.TrimPrefix(got, tt.prefix), tt.suffix)
		if !strings.HasPrefix(got, tt.prefix) || !strings.HasSuffix(got, tt.suffix) || len(middle) != 7 || strings.Trim(middle, suffixChars) != "" {
			t.Errorf("alternativeName(%q) = %q; want %q + 7 of [a-zA-Z0-9] + %q", tt.name, got, tt.prefix, tt.suffix)
		}
	}
}

func TestFilepathToURI(t *testing.T) {
	t.Parallel()
	// Expected values printed by Django's filepath_to_uri.
	tests := []struct{ in, want string }{
		{"a b/c.pdf", "a%20b/c.pdf"},
		{"~!*()'", "~!*()'"},
		{"ü€", "%C3%BC%E2%82%AC"},
		{"%#?&=+;,:@$[]", "%25%23%3F%26%3D%2B%3B%2C%3A%40%24%5B%5D"},
		{`a\b`, "a/b"},
	}
	for _, tt := range tests {
		if got := filepathToURI(tt.in); got != tt.want {
			t.Errorf("filepathToURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
