package storage

import (
	"errors"
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
