package storage

import "testing"

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
