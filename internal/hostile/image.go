package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
)

// noise is deterministic random bytes.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// smallPNG is a valid 64 x 32 grey image.
func smallPNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 32))
	for i := range img.Pix {
		img.Pix[i] = color.Gray{Y: byte(i * 7)}.Y
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func pngChunk(b *bytes.Buffer, kind string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	start := b.Len()
	b.WriteString(kind)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc32.ChecksumIEEE(b.Bytes()[start:]))
}

// pngBomb declares width x height 8-bit grey pixels and holds a zlib
// stream of rows zero rows: a decoder that trusts the header allocates
// the whole image before finding out the data is short (or, when rows
// covers the height, inflates all of it).
func pngBomb(width, height, rows uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := make([]byte, width+1) // filter byte, then the pixels
	for range rows {
		_, _ = w.Write(row)
	}
	_ = w.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// tiffEntry is one 12-byte IFD entry, little-endian.
type tiffEntry struct {
	tag, typ uint16
	value    uint32
}

// tiff writes a little-endian TIFF whose single IFD describes a width x
// height 8-bit grey strip of data; nextIFD is the offset of the next IFD
// (0 for none, 8 to point back at this one: a loop).
func tiff(width, height uint32, data []byte, nextIFD uint32) []byte {
	const short, long = 3, 4
	entries := []tiffEntry{
		{256, long, width},
		{257, long, height},
		{258, short, 8},
		{259, short, 1}, // no compression
		{262, short, 1}, // black is zero
		{273, long, 0},  // strip offset, filled in below
		{277, short, 1},
		{278, long, height},
		{279, long, uint32(len(data))},
	}
	ifdLen := 2 + 12*len(entries) + 4
	dataOffset := uint32(8 + ifdLen)
	var b bytes.Buffer
	b.WriteString("II*\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint32(8))
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	for _, e := range entries {
		if e.tag == 273 {
			e.value = dataOffset
		}
		_ = binary.Write(&b, binary.LittleEndian, e.tag)
		_ = binary.Write(&b, binary.LittleEndian, e.typ)
		_ = binary.Write(&b, binary.LittleEndian, uint32(1))
		if e.typ == short {
			_ = binary.Write(&b, binary.LittleEndian, uint16(e.value))
			_ = binary.Write(&b, binary.LittleEndian, uint16(0))
		} else {
			_ = binary.Write(&b, binary.LittleEndian, e.value)
		}
	}
	_ = binary.Write(&b, binary.LittleEndian, nextIFD)
	b.Write(data)
	return b.Bytes()
}

// jpegHeader is the start of a baseline JPEG declaring width x height
// three-component pixels, followed by noise where the tables and scan
// should be.
func jpegHeader(width, height uint16) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	b.Write([]byte{0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0})
	b.Write([]byte{0xFF, 0xC0, 0x00, 0x11, 0x08})
	_ = binary.Write(&b, binary.BigEndian, height)
	_ = binary.Write(&b, binary.BigEndian, width)
	b.Write([]byte{0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01})
	b.Write(noise(512, 11))
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}
