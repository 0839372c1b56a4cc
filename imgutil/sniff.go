// Package imgutil decodes untrusted images safely (content sniffing, a pixel
// limit checked before any pixel is allocated, EXIF orientation, multi-page
// TIFF), prepares them for OCR and encodes previews.
package imgutil

import (
	"bytes"
	"net/http"
	"strings"
)

// Format is a file format recognised from a file's first bytes.
type Format string

// The formats Sniff recognises. PDF is recognised so that callers can route
// it elsewhere; this package does not decode it.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	TIFF Format = "tiff"
	WebP Format = "webp"
	BMP  Format = "bmp"
	PDF  Format = "pdf"
)

// SniffLen is how many leading bytes Sniff needs at most.
const SniffLen = 1024

// Sniff names the format of a file from its first bytes, ignoring its name:
// an HTML page saved as scan.pdf is not a PDF. It returns "" when the content
// is none of the known formats.
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return JPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TIFF
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP
	case len(head) >= 14 && string(head[:2]) == "BM":
		return BMP
	}
	// The PDF specification lets "%PDF-" appear anywhere in the first
	// kilobyte, and readers accept that.
	if i := bytes.Index(head[:min(len(head), SniffLen)], []byte("%PDF-")); i >= 0 {
		return PDF
	}
	return ""
}

// Describe says in a few words what unrecognised content looks like, for
// error messages ("HTML", "plain text", "binary data").
func Describe(head []byte) string {
	if len(head) == 0 {
		return "an empty file"
	}
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "text/html"):
		return "HTML"
	case strings.HasPrefix(ct, "text/xml"):
		return "XML"
	case strings.HasPrefix(ct, "text/plain"):
		return "plain text"
	case ct == "application/octet-stream":
		return "unrecognised binary data"
	}
	ct, _, _ = strings.Cut(ct, ";")
	return ct
}
