package docgen

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
)

// pdfWriter assembles a PDF object by object and writes the cross-reference
// table that lets readers find them.
type pdfWriter struct {
	buf     bytes.Buffer
	offsets []int // offset of object i+1
}

func newPDF() *pdfWriter {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// reserve returns the number of a new object to be written later.
func (w *pdfWriter) reserve() int {
	w.offsets = append(w.offsets, -1)
	return len(w.offsets)
}

func (w *pdfWriter) object(n int, body string) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *pdfWriter) stream(n int, dict string, data []byte) {
	w.offsets[n-1] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *pdfWriter) finish(root int) []byte {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets)+1)
	for _, off := range w.offsets {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offsets)+1, root, xref)
	return w.buf.Bytes()
}

// pages writes the catalog and page tree for pages made by page(i, parent),
// which returns the page object's number.
func (w *pdfWriter) pages(n int, page func(i, parent int) int) []byte {
	catalog, tree := w.reserve(), w.reserve()
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", page(i, tree))
	}
	w.object(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", tree))
	w.object(tree, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	return w.finish(catalog)
}

// ImagePDF writes each image as one page of a PDF with no text layer, as a
// scanner does: JPEG-compressed (DCTDecode), sized so that the image is
// at dpi.
func ImagePDF(pages []image.Image, dpi float64) ([]byte, error) {
	w := newPDF()
	var err error
	out := w.pages(len(pages), func(i, parent int) int {
		img := pages[i]
		var jpg bytes.Buffer
		if e := jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 85}); e != nil && err == nil {
			err = e
		}
		b := img.Bounds()
		cs := "/DeviceRGB"
		if _, ok := img.(*image.Gray); ok {
			cs = "/DeviceGray"
		}
		pw, ph := float64(b.Dx())*72/dpi, float64(b.Dy())*72/dpi
		im, content, page := w.reserve(), w.reserve(), w.reserve()
		w.stream(im, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode", b.Dx(), b.Dy(), cs), jpg.Bytes())
		w.stream(content, "", fmt.Appendf(nil, "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", pw, ph))
		w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", parent, pw, ph, im, content))
		return page
	})
	return out, err
}

// TextPDF writes one A4 page per string, each line of it set in Helvetica:
// a PDF with a real text layer, as word processors make.
func TextPDF(pages []string) []byte {
	w := newPDF()
	fontObj := w.reserve()
	w.object(fontObj, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	return w.pages(len(pages), func(i, parent int) int {
		var c strings.Builder
		c.WriteString("BT /F1 11 Tf 14 TL 72 770 Td\n")
		for line := range strings.SplitSeq(pages[i], "\n") {
			r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
			fmt.Fprintf(&c, "(%s) Tj T*\n", r.Replace(line))
		}
		c.WriteString("ET")
		content, page := w.reserve(), w.reserve()
		w.stream(content, "", []byte(c.String()))
		w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", parent, fontObj, content))
		return page
	})
}

// BlankPDF writes a PDF of n empty A4 pages.
func BlankPDF(n int) []byte {
	w := newPDF()
	return w.pages(n, func(_, parent int) int {
		page := w.reserve()
		w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>", parent))
		return page
	})
}
