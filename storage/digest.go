package storage

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
)

// Hasher takes, in one pass over a body, the two sums an upload needs: the
// SHA-256 stored as its digest (SaveOptions.Digest) and the CRC-32 the
// server checks the bytes it receives against (SaveOptions.CRC32). A body
// hashed once is thus never read again to be checked.
type Hasher struct {
	sha hash.Hash
	crc hash.Hash32
	n   int64
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher {
	return &Hasher{sha: sha256.New(), crc: crc32.NewIEEE()}
}

// Write implements io.Writer; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	h.sha.Write(p)
	h.crc.Write(p)
	h.n += int64(len(p))
	return len(p), nil
}

// Len is how many bytes were written.
func (h *Hasher) Len() int64 { return h.n }

// Digest is the hex SHA-256 of what was written.
func (h *Hasher) Digest() string { return hex.EncodeToString(h.sha.Sum(nil)) }

// CRC32 is the CRC-32 (IEEE) of what was written, base64 of its four bytes
// as the x-amz-checksum-crc32 header carries it.
func (h *Hasher) CRC32() string { return base64.StdEncoding.EncodeToString(h.crc.Sum(nil)) }

// Sums returns the Digest and CRC32 of data.
func Sums(data []byte) (digest, crc string) {
	h := NewHasher()
	h.Write(data)
	return h.Digest(), h.CRC32()
}

// isCRC32 reports whether s is a CRC32 value as Hasher.CRC32 writes it.
func isCRC32(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == crc32.Size
}
