package ocr

import "hash/crc32"

// withCRC recomputes the CRC of a PNG chunk (length, type, data, CRC).
func withCRC(chunk []byte) []byte {
	n := len(chunk)
	c := crc32.ChecksumIEEE(chunk[4 : n-4])
	chunk[n-4], chunk[n-3], chunk[n-2], chunk[n-1] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return chunk
}
