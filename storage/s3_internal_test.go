package storage

import (
	"testing"
	"time"
)

func TestPartSizeFor(t *testing.T) {
	t.Parallel()
	tests := []struct{ size, want int64 }{
		{0, 8 << 20},
		{256 << 20, 8 << 20},
		{maxParts * (8 << 20), 8 << 20},
		{maxParts*(8<<20) + 1, 9 << 20},
		{5 << 40, 525 << 20}, // 5 TiB, S3's largest object
	}
	for _, tt := range tests {
		got := partSizeFor(tt.size)
		if got != tt.want {
			t.Errorf("partSizeFor(%d) = %d, want %d", tt.size, got, tt.want)
		}
		if parts := (tt.size + got - 1) / got; parts > maxParts {
			t.Errorf("partSizeFor(%d) needs %d parts", tt.size, parts)
		}
	}
}

func TestStripSignature(t *testing.T) {
	t.Parallel()
	got, err := stripSignature("http://h:9000/b/a%20b.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F20261128%2Fauto%2Fs3%2Faws4_request&X-Amz-Date=20261128T080304Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&x-id=GetObject&X-Amz-Signature=abc")
	if want := "http://h:9000/b/a%20b.pdf"; err != nil || got != want {
		t.Errorf("stripSignature = %q, %v; want %q", got, err, want)
	}
}

func TestModTimeMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1700000000.123456789", time.Unix(1700000000, 123456789)},
		{"1700000000.5", time.Unix(1700000000, 500000000)}, // rclone trims nothing, others may
		{"1700000000", time.Unix(1700000000, 0)},
		{"", time.Time{}},
		{"soon", time.Time{}},
		{"1700000000.1234567890", time.Time{}},
		{"1700000000.-5", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseModTime(tt.in); !got.Equal(tt.want) {
			t.Errorf("parseModTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	now := time.Now()
	if got := parseModTime(formatModTime(now)); !got.Equal(now) {
		t.Errorf("round trip of %v gave %v", now, got)
	}
}
