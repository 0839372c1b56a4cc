package imgutil

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/revisbali/worker/fault"
)

// A TIFF (and the EXIF block of a JPEG, which is a small TIFF) is a header
// naming the byte order and the offset of the first image file directory
// (IFD); each IFD lists 12-byte tagged entries and ends with the offset of
// the next one. golang.org/x/image/tiff decodes the first IFD only, so each
// further page is handed to it as a view of the same bytes whose header
// points at that page's IFD.

const tagOrientation = 274

// tiffHeader returns the byte order and first IFD offset of the TIFF at r.
func tiffHeader(r io.ReaderAt) (binary.ByteOrder, uint32, error) {
	var h [8]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, 0, fmt.Errorf("TIFF header: %w", err)
	}
	var order binary.ByteOrder
	switch string(h[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return nil, 0, fmt.Errorf("not a TIFF header")
	}
	return order, order.Uint32(h[4:]), nil
}

// readIFD returns the orientation tag of the IFD at off (1 when absent) and
// the offset of the next IFD (0 at the end).
func readIFD(r io.ReaderAt, order binary.ByteOrder, off uint32) (orientation int, next uint32, err error) {
	var n [2]byte
	if _, err := r.ReadAt(n[:], int64(off)); err != nil {
		return 0, 0, fmt.Errorf("IFD at %d: %w", off, err)
	}
	count := int64(order.Uint16(n[:]))
	entries := make([]byte, count*12+4)
	if _, err := r.ReadAt(entries, int64(off)+2); err != nil {
		return 0, 0, fmt.Errorf("IFD at %d: %w", off, err)
	}
	orientation = 1
	for i := range count {
		e := entries[i*12 : i*12+12]
		if order.Uint16(e) == tagOrientation && order.Uint16(e[2:]) == 3 { // SHORT
			if v := int(order.Uint16(e[8:])); v >= 1 && v <= 8 {
				orientation = v
			}
		}
	}
	return orientation, order.Uint32(entries[count*12:]), nil
}

// tiffPages lists the pages of a TIFF, each as a reader that looks like a
// TIFF whose first IFD is that page.
func tiffPages(r io.ReaderAt, size int64, maxPages int) ([]page, error) {
	order, off, err := tiffHeader(r)
	if err != nil {
		return nil, fault.BadInput("tiff image is corrupt: %v", err)
	}
	var pages []page
	seen := map[uint32]bool{}
	for off != 0 {
		if seen[off] || int64(off) >= size {
			return nil, fault.BadInput("tiff image is corrupt: page %d's directory offset %d is invalid", len(pages)+1, off)
		}
		seen[off] = true
		if len(pages) == maxPages {
			return nil, fault.BadInput("tiff image has more than %d pages, the limit", maxPages)
		}
		orientation, next, err := readIFD(r, order, off)
		if err != nil {
			return nil, fault.BadInput("tiff image is corrupt: page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, page{r: &ifdView{r: r, order: order, ifd: off}, orientation: orientation})
		off = next
	}
	if len(pages) == 0 {
		return nil, fault.BadInput("tiff image has no pages")
	}
	return pages, nil
}

// ifdView reads r with bytes 4..7 (the first IFD offset) replaced by ifd.
type ifdView struct {
	r     io.ReaderAt
	order binary.ByteOrder
	ifd   uint32
}

func (v *ifdView) ReadAt(p []byte, off int64) (int, error) {
	n, err := v.r.ReadAt(p, off)
	var patch [4]byte
	v.order.PutUint32(patch[:], v.ifd)
	for i := range 4 {
		if at := 4 + int64(i) - off; at >= 0 && at < int64(n) {
			p[at] = patch[i]
		}
	}
	return n, err
}
