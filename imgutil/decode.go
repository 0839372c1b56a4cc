package imgutil

import (
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/revisbali/worker/fault"
)

// DefaultMaxPixels is the largest image (width x height) decoded when
// Options.MaxPixels is zero: 100 megapixels, about 400 MB as RGBA, far above
// an A3 scan at 600 DPI (70 megapixels).
const DefaultMaxPixels = 100_000_000

// DefaultMaxPages bounds the pages of a multi-page TIFF when
// Options.MaxPages is zero.
const DefaultMaxPages = 200

// Options bound what a Source accepts.
type Options struct {
	MaxPixels int64 // per page; 0 means DefaultMaxPixels
	MaxPages  int   // 0 means DefaultMaxPages
}

// WithDefaults returns a copy with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	return o
}

// Source is an image file opened for decoding. Every page's dimensions are
// checked against the pixel limit when the Source is opened, from the
// headers only; pages are decoded one at a time by Page. Page may be
// called from several goroutines when the underlying ReaderAt allows
// concurrent reads, as an *os.File does.
type Source struct {
	r      io.ReaderAt
	size   int64
	format Format
	pages  []page
}

type page struct {
	r           io.ReaderAt // the page as a file of its own
	orientation int         // EXIF orientation, 1 when upright
}

// Open reads the image in the open file f, which the caller keeps open
// while it uses the Source, and closes. Content that is not a supported
// image, or too large, is an error matching fault.ErrBadInput.
func Open(f *os.File, opts Options) (*Source, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat image: %w", err)
	}
	return NewSource(f, st.Size(), opts)
}

// NewSource reads an image of size bytes from r.
func NewSource(r io.ReaderAt, size int64, opts Options) (*Source, error) {
	opts = opts.WithDefaults()
	head := make([]byte, min(size, SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read image header: %w", err)
	}
	s := &Source{r: r, size: size, format: Sniff(head)}
	switch s.format {
	case "":
		return nil, fault.BadInput("not a supported image: the content is %s, not JPEG, PNG, TIFF, WebP, BMP or GIF", Describe(head))
	case PDF:
		return nil, fault.BadInput("a PDF is not an image")
	case TIFF:
		pages, err := tiffPages(r, size, opts.MaxPages)
		if err != nil {
			return nil, err
		}
		s.pages = pages
	case JPEG:
		s.pages = []page{{r: r, orientation: jpegOrientation(io.NewSectionReader(r, 0, size))}}
	default:
		s.pages = []page{{r: r, orientation: 1}}
	}
	for i, p := range s.pages {
		cfg, err := s.decodeConfig(p.r)
		if err != nil {
			return nil, fault.BadInput("%s image (page %d) has an unreadable header: %v", s.format, i+1, err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 {
			return nil, fault.BadInput("%s image (page %d) has no pixels (%d x %d)", s.format, i+1, cfg.Width, cfg.Height)
		}
		if px := int64(cfg.Width) * int64(cfg.Height); px > opts.MaxPixels {
			return nil, fault.BadInput("%s image (page %d) is %d x %d pixels (%.0f megapixels), above the limit of %.0f megapixels",
				s.format, i+1, cfg.Width, cfg.Height, float64(px)/1e6, float64(opts.MaxPixels)/1e6)
		}
	}
	return s, nil
}

// Format is the sniffed format.
func (s *Source) Format() Format { return s.format }

// Len is the number of pages: more than one only for multi-page TIFFs.
func (s *Source) Len() int { return len(s.pages) }

// Page decodes page i (from 0), turned upright by its EXIF orientation.
func (s *Source) Page(i int) (image.Image, error) {
	if i < 0 || i >= len(s.pages) {
		return nil, fmt.Errorf("page %d of %d: out of range", i+1, len(s.pages))
	}
	p := s.pages[i]
	img, err := s.decode(p.r)
	if err != nil {
		return nil, fault.BadInput("%s image (page %d) is corrupt: %v", s.format, i+1, err)
	}
	return Orient(img, p.orientation), nil
}

func (s *Source) reader(r io.ReaderAt) io.Reader { return io.NewSectionReader(r, 0, s.size) }

// codec is one format's pair of decoders from the standard library or x/image.
type codec struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error) // GIF: the first frame
}

var codecs = map[Format]codec{
	JPEG: {jpeg.DecodeConfig, jpeg.Decode},
	PNG:  {png.DecodeConfig, png.Decode},
	GIF:  {gif.DecodeConfig, gif.Decode},
	TIFF: {tiff.DecodeConfig, tiff.Decode},
	WebP: {webp.DecodeConfig, webp.Decode},
	BMP:  {bmp.DecodeConfig, bmp.Decode},
}

func (s *Source) decodeConfig(r io.ReaderAt) (image.Config, error) {
	c, ok := codecs[s.format]
	if !ok {
		return image.Config{}, fmt.Errorf("unsupported format %q", s.format)
	}
	return c.config(s.reader(r))
}

func (s *Source) decode(r io.ReaderAt) (image.Image, error) {
	c, ok := codecs[s.format]
	if !ok {
		return nil, fmt.Errorf("unsupported format %q", s.format)
	}
	return c.decode(s.reader(r))
}

// Decode decodes the first page of the image in the open file f, upright.
func Decode(f *os.File, opts Options) (image.Image, error) {
	s, err := Open(f, opts)
	if err != nil {
		return nil, err
	}
	return s.Page(0)
}
