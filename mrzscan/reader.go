package mrzscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/revisbali/worker/fault"
	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

// Language is the Tesseract model of machine-readable zones, loaded as
// Language + ".traineddata" from Config.TessdataDir.
const Language = "mrz"

// Alphabet is every character a zone may hold.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

// Defaults of Config.
const (
	DefaultMaxPages = 20
	DefaultDPI      = 300
)

// MaxRecognitions bounds the Tesseract runs spent on one document, over all
// its pages. It is a bound on work, not time: the same file gets the same
// attempts, and so the same answer, on an idle machine and on a busy one.
// The search of one page needs at most maxPageRecognitions; the document
// bound keeps a long PDF without a zone from costing 20 pages of searching.
const MaxRecognitions = 160

// Recognizer reads text off an image; *ocr.Pool is one.
type Recognizer interface {
	Recognize(ctx context.Context, img image.Image, req ocr.Request) (ocr.Recognition, error)
}

// Config tunes a Reader. Zero fields take defaults.
type Config struct {
	// TessdataDir holds mrz.traineddata; "" means FindTessdata("").
	TessdataDir string
	// PrintTessdataDir holds eng.traineddata, for the printed data page;
	// "" means the Recognizer's default folder.
	PrintTessdataDir string
	// MaxPages refuses longer PDFs before any page is rendered.
	MaxPages int
	// DPI is the resolution PDF pages are rendered at.
	DPI float64
	// MaxPixels bounds one image or page, checked before decoding.
	MaxPixels int64
	// Now places two-digit years; zero means the time of each read.
	Now time.Time
	// Logger receives a debug line per page (attempts, time, outcome); nil
	// means slog.Default().
	Logger *slog.Logger
}

// Reader finds and reads machine-readable zones in images and PDFs. It is
// safe for concurrent use.
type Reader struct {
	rec Recognizer
	cfg Config
}

// New returns a Reader recognising with rec. It checks that the MRZ model
// is where cfg says.
func New(rec Recognizer, cfg Config) (*Reader, error) {
	dir, err := FindTessdata(cfg.TessdataDir)
	if err != nil {
		return nil, err
	}
	cfg.TessdataDir = dir
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.DPI <= 0 {
		cfg.DPI = DefaultDPI
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = imgutil.DefaultMaxPixels
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Reader{rec: rec, cfg: cfg}, nil
}

// FindTessdata returns dir when it holds mrz.traineddata, or, for an empty
// dir, the first of ./tessdata, tessdata/ beside the executable and
// /usr/local/share/revisbali-worker/tessdata that does.
func FindTessdata(dir string) (string, error) {
	has := func(d string) bool {
		st, err := os.Stat(filepath.Join(d, Language+".traineddata"))
		return err == nil && st.Mode().IsRegular()
	}
	if dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("PASSPORT_TESSDATA_DIR: %s holds no %s.traineddata (the repository ships it in tessdata/)", dir, Language)
		}
		return dir, nil
	}
	cands := []string{"tessdata"}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "tessdata"))
	}
	cands = append(cands, "/usr/local/share/revisbali-worker/tessdata")
	for _, c := range cands {
		if has(c) {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("no %s.traineddata found in %v: set PASSPORT_TESSDATA_DIR to the repository's tessdata/ folder", Language, cands)
}

// ReadFile reads the zone of the image or PDF in the open file f (format
// sniffed from the content; every page of a PDF and of a multi-page TIFF
// is tried until one holds a valid zone, within MaxRecognitions). It
// returns the best reading: valid if any page gave a valid one. A file with
// no zone gives an error matching both passport.ErrNoMRZ and
// fault.ErrBadInput; unreadable content matches fault.ErrBadInput. Only ctx
// ends a read early, with ctx's error.
func (r *Reader) ReadFile(ctx context.Context, f *os.File) (*passport.Result, error) {
	pages, err := r.open(f)
	if err != nil {
		return nil, err
	}
	defer pages.Close()
	w := &work{left: MaxRecognitions}
	var best *passport.Result
	n := pages.Len()
	for i := range n {
		if w.left <= 0 {
			if best == nil {
				return nil, noZoneIn{searched: i, pages: n}
			}
			break
		}
		res, err := r.readPage(ctx, pages, i, w)
		if errors.Is(err, passport.ErrNoMRZ) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if better(res, best) {
			best = res
		}
		if best.Valid {
			break
		}
	}
	return finish(best)
}

// ReadImage reads the zone of one decoded, upright image.
func (r *Reader) ReadImage(ctx context.Context, img image.Image) (*passport.Result, error) {
	res, err := r.read(ctx, imgutil.Gray(img), img, &work{left: MaxRecognitions})
	if err != nil && !errors.Is(err, passport.ErrNoMRZ) {
		return nil, err
	}
	return finish(res)
}

// work counts what a document may still spend.
type work struct{ left int }

// noZoneIn is "no zone" when the recognitions ran out before the last
// pages of a long document were searched: it says which were.
type noZoneIn struct{ searched, pages int }

func (e noZoneIn) Error() string {
	return fmt.Sprintf("%s in pages 1-%d of %d (the search stops after %d recognitions per document)",
		passport.ErrNoMRZ, e.searched, e.pages, MaxRecognitions)
}

func (noZoneIn) Is(target error) bool {
	return target == passport.ErrNoMRZ || target == fault.ErrBadInput
}

func finish(best *passport.Result) (*passport.Result, error) {
	if best == nil {
		return nil, ErrNoZone
	}
	return best, nil
}

// ErrNoZone is returned when a document holds no machine-readable zone. It
// matches passport.ErrNoMRZ and fault.ErrBadInput (no retry can find one),
// and its message is passport.ErrNoMRZ's.
var ErrNoZone error = noZone{}

type noZone struct{}

func (noZone) Error() string { return passport.ErrNoMRZ.Error() }
func (noZone) Is(target error) bool {
	return target == passport.ErrNoMRZ || target == fault.ErrBadInput
}

func (r *Reader) readPage(ctx context.Context, pages pageSource, i int, w *work) (*passport.Result, error) {
	if text := pages.Text(i); text != "" {
		// A PDF made by software may carry the zone in its text layer.
		if res, err := passport.ParseText(text, r.parseOptions()); err == nil && res.Valid {
			return res, nil
		}
	}
	img, err := pages.Page(ctx, i)
	if err != nil {
		return nil, err
	}
	return r.read(ctx, imgutil.Gray(img), img, w)
}

func (r *Reader) parseOptions() passport.ParseOptions {
	return passport.ParseOptions{Now: r.cfg.Now}
}

// glyph heights (pixels) tried, first the one Tesseract reads best.
var glyphHeights = []float64{34, 26, 44}

// read locates and reads the zone of one upright gray image g, made from
// colour (whose colours the portrait keeps). It returns passport.ErrNoMRZ
// (unwrapped by fault) when nothing zone-like was read.
func (r *Reader) read(ctx context.Context, g *image.Gray, colour image.Image, w *work) (*passport.Result, error) {
	if g.Rect.Dx() < 16 || g.Rect.Dy() < 16 {
		return nil, passport.ErrNoMRZ
	}
	s := &session{r: r, ctx: ctx, work: w, found: map[zoneKey]*bool{}, colour: colour}
	res, err := s.search(g)
	if err != nil {
		return nil, err
	}
	if err := s.look(res); err != nil {
		return nil, err
	}
	return res, nil
}

// look reads the printed data page and crops the portrait around the
// zone res was read from (s.bestAt).
func (s *session) look(res *passport.Result) error {
	if err := s.checkPrint(res); err != nil {
		return err
	}
	res.Crop = findPortrait(s.bestAt, res.Format, s.colour)
	return nil
}

// search is read's attempts on one page.
func (s *session) search(g *image.Gray) (*passport.Result, error) {
	r, ctx := s.r, s.ctx
	defer func(start time.Time) {
		r.cfg.Logger.DebugContext(ctx, "mrz page read", slog.Int("attempts", s.tries),
			slog.Duration("took", time.Since(start)), slog.Bool("zone", s.best != nil), slog.Bool("valid", s.best != nil && s.best.Valid))
	}(time.Now())
	var p *page
	var dirs []float64
	for _, edge := range workEdges {
		if p != nil && (s.best != nil || max(g.Rect.Dx(), g.Rect.Dy()) < edge*3/2) {
			break
		}
		// A finer working copy when the coarse one held nothing: a small
		// document in a big photo.
		p = newPage(g, edge)
		dirs = p.orientations()
		var zones []zone
		for _, deg := range dirs {
			zones = append(zones, p.frame(deg).zones()...)
		}
		if !slices.ContainsFunc(zones, func(z zone) bool { return z.lines >= 2 }) {
			// A document held askew over a patterned background: the
			// background sets the page's direction, and the zone's lines
			// lean more against it than a frame allows (about 5 degrees,
			// see zones). Frames turned 8 degrees either way cover 3 to 13.
			for _, deg := range dirs {
				for _, d := range []float64{-8, 8} {
					zones = append(zones, p.frame(deg+d).zones()...)
				}
			}
		}
		zones = distinct(zones)
		if len(zones) > maxZones {
			zones = zones[:maxZones]
		}
		// First pass: every candidate zone once, as the locator guessed it.
		for _, z := range zones {
			if s.done() {
				return s.withOthers(p, zones)
			}
			s.first(p, z)
			if s.needConfirm && s.confirmed == nil && s.found[zoneKey{z.f, z.b}] != nil {
				// A small zone read valid once: read it again at once, in
				// its other renderings, rather than after every other
				// candidate (the second pass resumes where it stopped).
				s.more(p, z)
			}
		}
		// Second pass: other renderings of the zones that gave something.
		for _, z := range zones {
			if s.done() {
				return s.withOthers(p, zones)
			}
			s.more(p, z)
		}
	}
	// Last resort: the whole image, as the simplest readers do; it catches
	// zones the locator missed (glare, unusual layouts).
	for _, deg := range dirs[:1] {
		for _, flip := range []bool{false, true} {
			if s.done() {
				return s.result()
			}
			s.whole(p, deg, flip)
		}
	}
	// Still nothing zone-like: a zone whose first line, mostly fillers,
	// is thinner than its second, the two spaced wider than the thinner
	// allows, is looked for with the spacing judged against the thicker
	// line (frame.byThicker). Last, so that every page read before is read
	// the same way.
	if s.best == nil {
		var zones []zone
		for _, deg := range dirs {
			f := p.frame(deg)
			f.byThicker = true
			for _, z := range f.zones() {
				if z.lines >= 2 {
					zones = append(zones, z)
				}
			}
		}
		zones = distinct(zones)
		if len(zones) > maxZones {
			zones = zones[:maxZones]
		}
		for _, pass := range []func(*page, zone){s.first, s.more} {
			for _, z := range zones {
				if s.done() {
					return s.withOthers(p, zones)
				}
				pass(p, z)
			}
		}
	}
	return s.result()
}

// maxZones bounds the candidate zones of a page read.
const maxZones = 4

// withOthers returns the session's result and, when it is valid, reads the
// other candidate zones of the page that look as much like a zone (two or
// three lines, a score within a quarter of the best's), apart from the one
// read: a visa sticker beside the passport's data page. Each that reads as
// a zone (valid, or at least two check digits passing, as for the first),
// other than the first, is added to Others with its own verdict.
func (s *session) withOthers(p *page, zones []zone) (*passport.Result, error) {
	res, err := s.result()
	if err != nil || !res.Valid || s.bestAt == nil {
		return res, err
	}
	top := 0.0
	for _, z := range zones {
		top = max(top, z.score)
	}
	for _, z := range zones {
		if z.lines < 2 || z.score < top/4 || (z.f == s.bestAt.z.f && overlap(z.b, s.bestAt.z.b) > 0.3) {
			continue
		}
		if s.barren[zoneKey{z.f, z.b}] {
			// Already read in full in the first pass, with nothing
			// zone-like: the same renderings would read the same.
			continue
		}
		o := &session{r: s.r, ctx: s.ctx, work: s.work, found: map[zoneKey]*bool{}, colour: s.colour}
		o.first(p, z)
		if !o.done() {
			o.more(p, z)
		}
		other, err := o.result()
		if err != nil && !errors.Is(err, passport.ErrNoMRZ) {
			return nil, err
		}
		if other == nil || slices.Equal(other.MRZ, res.MRZ) || slices.ContainsFunc(res.Others, func(r *passport.Result) bool { return slices.Equal(r.MRZ, other.MRZ) }) {
			continue
		}
		if err := o.look(other); err != nil {
			return nil, err
		}
		res.Others = append(res.Others, other)
	}
	return res, nil
}

// distinct sorts zones by score and drops those overlapping a better one
// in the same frame.
func distinct(zs []zone) []zone {
	sortZones(zs)
	var out []zone
	for _, z := range zs {
		dup := false
		for _, o := range out {
			if o.f == z.f && overlap(o.b, z.b) > 0.6 {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, z)
		}
	}
	return out
}

func sortZones(zs []zone) {
	slices.SortStableFunc(zs, func(a, b zone) int { return cmp.Compare(b.score, a.score) })
}

func overlap(a, b box) float64 {
	x0, y0, x1, y1 := max(a.x0, b.x0), max(a.y0, b.y0), min(a.x1, b.x1), min(a.y1, b.y1)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := float64((x1 - x0) * (y1 - y0))
	return inter / math.Min(float64(a.w()*a.h()), float64(b.w()*b.h()))
}

// session is one image's attempts and the best reading so far.
type session struct {
	r    *Reader
	ctx  context.Context
	work *work
	// colour is the page as decoded, upright: the portrait is cut from it.
	colour image.Image
	best   *passport.Result
	err    error
	tries  int
	// found records the zones that gave a zone-like reading, and whether
	// that was turned by 180 degrees against the locator's guess.
	found map[zoneKey]*bool
	// barren records the zones first read in full with nothing zone-like.
	barren map[zoneKey]bool
	// readings holds the lines of every plausible reading, by line count,
	// for voting across attempts.
	readings map[int][][]string
	// readFrom is where each of readings was read, in the same order.
	readFrom map[int][]origin
	// lowRes is set while a zone with glyphs under minSureGlyph original
	// pixels is read: a valid reading of it is trusted only once a second
	// attempt reads the same zone, since at that size two misread
	// characters can cancel out in a check digit.
	lowRes      bool
	needConfirm bool
	valids      []*passport.Result
	confirmed   *passport.Result
	// glyphs holds what Tesseract knew of each character of every line it
	// read, by the line's text without spaces, for passport.Result.Review.
	glyphs map[string][]passport.Glyph
	// tiny is set while a zone with glyphs under minTrustedGlyph original
	// pixels is read; bestTiny when the best reading came from one.
	tiny, bestTiny bool
	// at is where the current attempt reads; bestAt where the best reading
	// was read (nil: the whole page), to find the printed page, the
	// portrait and the other zones.
	at, bestAt *placement
	// confirmedAt and confirmedTiny are bestAt and bestTiny of confirmed.
	confirmedAt   *placement
	confirmedTiny bool
	// all is every plausible reading of a located zone, in order, with
	// what OCR knew of its lines then, for settle's vote.
	all []reading
	// moreDone counts the steps of more already spent on each zone, so
	// that settle never reads one rendering twice (a repeated image
	// would vote twice).
	moreDone map[zoneKey]int
	// settling lets settle spend attempts after a valid reading.
	settling bool
	// outvoted is the zone settle's vote replaced: the fields where it
	// differs stay in needs_review.
	outvoted []string
	// value is the page's brightest channel (valueCrop), made when first
	// needed; its orig is nil when the page has no colour.
	value *page
}

// reading is one plausible reading of a located zone.
type reading struct {
	res    *passport.Result
	from   origin
	glyphs [][]passport.Glyph
}

// minTrustedGlyph is the glyph height, in original pixels, under which
// Tesseract's confidence in a letter says nothing (a thumbnail): no
// character of a field without a check digit is taken as read.
const minTrustedGlyph = 12

// minSureGlyph is the glyph height, in original pixels, under which one
// valid reading is not enough.
const minSureGlyph = 14

func (s *session) done() bool {
	if s.err != nil || s.work.left <= 0 {
		return true
	}
	if s.settling {
		return false
	}
	if s.needConfirm {
		return s.confirmed != nil
	}
	return s.best != nil && s.best.Valid && !overlong(s.best)
}

// overlong reports whether a line of r was read longer than its format
// holds: OCR saw a character that is not there (a name's letter split in
// two, a blot), and which one the parser dropped to fit the line (a
// filler) is a guess that no check digit covers in a name. Such a valid
// reading does not end the search; a valid reading of the right length
// beats it (better: fewer corrections), and it stands when none comes.
func overlong(r *passport.Result) bool {
	for i := range min(len(r.RawMRZ), len(r.MRZ)) {
		if len(strings.Join(strings.Fields(r.RawMRZ[i]), "")) > len(r.MRZ[i]) {
			return true
		}
	}
	return false
}

func (s *session) result() (*passport.Result, error) {
	s.vote()
	if s.best != nil {
		defer func() {
			s.best.Review(s.glyphsOf(s.best.RawMRZ))
			if s.outvoted != nil {
				s.best.FlagDiffering(s.outvoted)
			}
		}()
	}
	if s.confirmed != nil && !s.needConfirm && overlong(s.confirmed) && s.best.Valid && !overlong(s.best) {
		// Two overlong readings alike confirm nothing but the character
		// too many; a valid reading of the right length beats them.
		s.confirmed = nil
	}
	s.settle()
	switch {
	case s.confirmed != nil:
		// The zone read from may differ from best's: withOthers must not
		// take the confirmed zone for another and skip the one best came
		// from (a visa page's two zones).
		s.best, s.bestAt, s.bestTiny = s.confirmed, s.confirmedAt, s.confirmedTiny
	case s.needConfirm && s.best != nil && s.best.Valid:
		// Not trusted: the check "confirmed" fails, so Valid is false.
		s.best.Checks["confirmed"] = false
		s.best.Valid = false
		s.best.Confidence *= 0.5
		s.best.Warnings = append(s.best.Warnings, "small print: the zone read valid once, but no second attempt read it the same")
	}
	if s.err != nil {
		// ctx ended or the engine failed: an unfinished search is no
		// answer, since the same file must always give the same one.
		return nil, s.err
	}
	if s.best == nil {
		return nil, passport.ErrNoMRZ
	}
	return s.best, nil
}

type zoneKey struct {
	f *frame
	b box
}

// first reads candidate z once, deskewed and upright as the locator
// guessed, then the other way up if that held nothing zone-like.
func (s *session) first(p *page, z zone) {
	s.lowRes = z.lineH/p.s < minSureGlyph
	s.tiny = z.lineH/p.s < minTrustedGlyph
	up := s.crop(p, z, glyphHeights[0], false)
	key := zoneKey{z.f, z.b}
	for _, flip := range []bool{false, true} {
		s.at = &placement{p, z, flip}
		img := up
		if flip {
			img = rotate180(up)
		}
		// As cropped, then with the background divided out: Tesseract's
		// global threshold loses the darker end of a line under a shadow
		// or uneven light, and lines under glare. Then without a stamp's
		// frame drawn across the lines, when there is one: Tesseract drops
		// the glyphs it crosses.
		for _, prep := range []func(*image.Gray) (*image.Gray, bool){always(stretch), always(flattenGlyphs), unlineGlyphs} {
			in, ok := prep(img)
			if !ok {
				continue
			}
			if s.recognise(in, ocr.SegSingleBlock) {
				s.found[key] = &flip
				return
			}
			if s.done() {
				return
			}
		}
	}
	// Widened, the locator's way up: a line whose faded end the locator
	// missed reads whole.
	s.at = &placement{p, z, false}
	if s.wide(p, z, false) {
		f := false
		s.found[key] = &f
		return
	}
	if s.err == nil && s.work.left > 0 {
		if s.barren == nil {
			s.barren = map[zoneKey]bool{}
		}
		s.barren[key] = true
	}
}

// flattenGlyphs flattens the background of a crop with glyphs of the first
// glyph height.
func flattenGlyphs(g *image.Gray) *image.Gray { return flatten(g, int(glyphHeights[0])) }

// unlineGlyphs removes long straight strokes from a crop with glyphs of the
// first glyph height; false when it holds none.
func unlineGlyphs(g *image.Gray) (*image.Gray, bool) { return unline(g, int(glyphHeights[0])) }

// always makes a preparation that always applies.
func always(prep func(*image.Gray) *image.Gray) func(*image.Gray) (*image.Gray, bool) {
	return func(g *image.Gray) (*image.Gray, bool) { return prep(g), true }
}

// evenGlyphs gives every part of a crop with glyphs of the first glyph
// height the same contrast.
func evenGlyphs(g *image.Gray) *image.Gray { return localContrast(g, int(glyphHeights[0])) }

// more reads a candidate that gave a zone-like reading in other ways:
// background flattened, line by line, smaller and larger glyphs.
func (s *session) more(p *page, z zone) {
	flip := s.found[zoneKey{z.f, z.b}]
	if flip == nil {
		return
	}
	s.lowRes = z.lineH/p.s < minSureGlyph
	s.tiny = z.lineH/p.s < minTrustedGlyph
	s.at = &placement{p, z, *flip}
	up := s.crop(p, z, glyphHeights[0], *flip)
	flat := flatten(up, int(glyphHeights[0]))
	steps := []func(){
		func() { s.recognise(flat, ocr.SegSingleBlock) },
		func() {
			s.wide(p, z, *flip)
		},
		func() { s.lines(binarise(flat)) },
	}
	for _, gh := range glyphHeights[1:] {
		steps = append(steps, func() { s.recognise(stretch(s.crop(p, z, gh, *flip)), ocr.SegSingleBlock) })
	}
	steps = append(steps, func() {
		// Taken only when valid: the brightest channel also pales ink
		// that is not black, and a zone whose check digits fail as
		// printed keeps the readings of its luminance.
		if v, ok := s.valueCrop(p, z, up, *flip); ok {
			if rec, ok := s.run(pad(flatten(v, int(glyphHeights[0])), 20), ocr.SegSingleBlock); ok {
				if res, err := passport.ParseText(rec.Text, s.parseOptions()); err == nil && res.Valid {
					s.consider(rec.Text)
				}
			}
		}
	})
	key := zoneKey{z.f, z.b}
	if s.moreDone == nil {
		s.moreDone = map[zoneKey]int{}
	}
	for i := s.moreDone[key]; i < len(steps); i++ {
		if s.done() {
			return
		}
		steps[i]()
		s.moreDone[key] = i + 1
	}
}

// wide reads zone z widened by wideMargin, with local contrast, and reports
// whether it held anything zone-like. The crop also holds what lies beyond
// the located zone's ends (a cloth's pattern, the facing page's print), and
// Tesseract may join it to a zone line. So the same recognition is parsed a
// second time with only the characters that lie within the zone's located
// length, a glyph height to spare, on lines holding at least half as many
// characters as the locator counted: a reading of its own, which must pass
// the check digits as any other, and takes nothing from the first (a faded
// end the locator missed is in that one).
func (s *session) wide(p *page, z zone, flip bool) bool {
	const border = 20
	img := pad(evenGlyphs(s.cropWith(p, z, glyphHeights[0], wideMargin(z), flip)), border)
	rec, ok := s.run(img, ocr.SegSingleBlock)
	if !ok {
		return false
	}
	found := s.consider(rec.Text)
	// The crop is the zone's length and wideMargin-1 glyph heights more
	// each side of cropWith's usual margin (one glyph height, rounded).
	mx := wideMargin(z) - 1
	zoom := float64(img.Rect.Dx()-2*border) / (z.w + 2*mx*z.lineH)
	glyph := z.lineH * zoom
	x0 := float64(border) + mx*glyph - glyph
	x1 := float64(img.Rect.Dx()-border) - mx*glyph + glyph
	var kept []ocr.Symbol
	var text strings.Builder
	for _, line := range symbolLines(rec.Symbols) {
		var in []ocr.Symbol
		for _, sym := range line {
			if c := float64(sym.Box.Min.X+sym.Box.Max.X) / 2; c >= x0 && c <= x1 {
				in = append(in, sym)
			}
		}
		// A line of a few characters is the page's print between or
		// beside the zone's lines, not one of them.
		if float64(len(in)) < z.chars/2 {
			continue
		}
		for _, sym := range in {
			text.WriteString(sym.Text)
		}
		text.WriteString("\n")
		kept = append(kept, in...)
	}
	if len(kept) == len(rec.Symbols) {
		return found
	}
	s.keep(kept)
	return s.consider(text.String()) || found
}

// symbolLines splits symbols into their lines, in order.
func symbolLines(syms []ocr.Symbol) [][]ocr.Symbol {
	var out [][]ocr.Symbol
	for i, sym := range syms {
		if i == 0 || sym.Line != syms[i-1].Line {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], sym)
	}
	return out
}

// crop cuts zone z out deskewed, upright by the locator's guess (turned
// once more when flip), with glyphs glyphH pixels high.
func (s *session) crop(p *page, z zone, glyphH float64, flip bool) *image.Gray {
	return s.cropWith(p, z, glyphH, 1.2, flip)
}

// wideMargin is the margin, in glyph heights, of a crop widened by a third
// of the zone's length on each side: the locator may have lost a line's
// faded end (glare, shadow), and a line's characters are never cut to fit
// its length.
func wideMargin(z zone) float64 { return 1.2 + 0.35*z.w/z.lineH }

// cropWith is crop with a margin of mx glyph heights along the lines.
func (s *session) cropWith(p *page, z zone, glyphH, mx float64, flip bool) *image.Gray {
	g := p.crop(z, 0, glyphH, mx, 0.9, false)
	if d := skew(binarise(g)); math.Abs(d) >= 0.2 {
		g = p.crop(z, d, glyphH, mx, 0.9, false)
	}
	if z.upside != flip {
		g = rotate180(g)
	}
	return g
}

// lines recognises each line of a binarised zone on its own and parses
// them together.
func (s *session) lines(b *image.Gray) {
	rects := splitLines(b)
	if len(rects) < 2 || len(rects) > 4 {
		return
	}
	text := ""
	for _, rc := range rects {
		line := pad(b.SubImage(rc).(*image.Gray), 0)
		rec, ok := s.run(pad(line, 16), ocr.SegSingleLine)
		if !ok {
			return
		}
		text += rec.Text + "\n"
	}
	s.consider(text)
}

// whole reads the entire image turned by deg (+180 when flip).
func (s *session) whole(p *page, deg float64, flip bool) {
	s.at = nil
	s.lowRes, s.tiny = false, false
	w, h := p.orig.Rect.Dx(), p.orig.Rect.Dy()
	// About 1600 pixels on the long edge: zone glyphs of 20+ pixels on a
	// card or passport page, within a second of Tesseract.
	k := min(3, 1600/float64(max(w, h)))
	rec, ok := s.run(pad(stretch(p.upright(deg, k, flip)), 20), ocr.SegAuto)
	if !ok {
		return
	}
	// No zone was located to measure: the glyphs' height in original
	// pixels is Tesseract's boxes' (the median), so that a thumbnail's
	// letters are not taken as read.
	var hs []int
	for _, sym := range rec.Symbols {
		hs = append(hs, sym.Box.Dy())
	}
	if len(hs) > 0 {
		slices.Sort(hs)
		s.tiny = float64(hs[len(hs)/2])/k < minTrustedGlyph
	}
	s.consider(rec.Text)
}

// recognise runs Tesseract on img and keeps the reading if it is the best
// so far. It reports whether the text held anything zone-like.
func (s *session) recognise(img *image.Gray, psm ocr.PageSegMode) bool {
	rec, ok := s.run(pad(img, 20), psm)
	return ok && s.consider(rec.Text)
}

// run spends one recognition of the document's bound on img; false when
// none is left or it failed.
func (s *session) run(img *image.Gray, psm ocr.PageSegMode) (ocr.Recognition, bool) {
	if s.err != nil || s.work.left <= 0 {
		return ocr.Recognition{}, false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return ocr.Recognition{}, false
	}
	s.work.left--
	s.tries++
	rec, err := s.r.rec.Recognize(s.ctx, img, s.request(psm))
	if err != nil {
		s.err = err
		return ocr.Recognition{}, false
	}
	if s.tiny && s.at != nil {
		// Tiny print of a located zone: one glyph per column, and a
		// letter weighed against the zone's own glyphs.
		oneColumnEach(img, &rec)
		byExemplars(img, &rec)
	}
	s.keep(rec.Symbols)
	return rec, true
}

func (s *session) consider(text string) bool {
	res, err := passport.ParseText(text, s.parseOptions())
	if err != nil || !plausible(res) {
		return false
	}
	if s.at != nil && res.Valid && len(res.MRZ[0])+5 < int(s.at.z.chars+0.5) {
		// Lines of 36 read where the locator counted 42 or more glyphs: a
		// 44-wide zone whose ends were lost (MRV-A read as a valid MRV-B).
		// Not valid; a wider crop may read it whole.
		res.Valid = false
		res.Checks["line_length"] = false
		res.Confidence *= 0.5
		res.Warnings = append(res.Warnings, fmt.Sprintf("the zone's lines hold about %.0f characters, %d were read", s.at.z.chars, len(res.MRZ[0])))
	}
	if better(res, s.best) {
		s.best, s.bestAt, s.bestTiny = res, s.at, s.tiny
	}
	if res.Valid {
		if s.lowRes {
			s.needConfirm = true
		}
		for _, v := range s.valids {
			if slices.Equal(v.MRZ, res.MRZ) {
				s.confirmed, s.confirmedAt, s.confirmedTiny = v, s.at, s.tiny
			}
		}
		s.valids = append(s.valids, res)
	}
	if s.readings == nil {
		s.readings, s.readFrom = map[int][][]string{}, map[int][]origin{}
	}
	if s.at != nil {
		gs := make([][]passport.Glyph, len(res.RawMRZ))
		for i, l := range res.RawMRZ {
			gs[i] = s.glyphs[strings.Join(strings.Fields(l), "")]
		}
		s.all = append(s.all, reading{res, origin{s.at, s.tiny}, gs})
	}
	n := len(res.RawMRZ)
	s.readings[n] = append(s.readings[n], res.RawMRZ)
	s.readFrom[n] = append(s.readFrom[n], origin{s.at, s.tiny})
	return true
}

// origin is where a reading was read: the zone (nil: the whole page) and
// whether its glyphs were tiny.
type origin struct {
	at   *placement
	tiny bool
}

// vote tries every combination of lines from the readings so far (line 1
// from one attempt, line 2 from another): each attempt often gets a
// different line right. A combination is taken only if it is valid.
func (s *session) vote() {
	if s.best == nil || (s.best.Valid && !overlong(s.best)) {
		return
	}
	// In a fixed order: the same readings always give the same vote.
	for _, n := range slices.Sorted(maps.Keys(s.readings)) {
		rs, from := s.readings[n], s.readFrom[n]
		if len(rs) < 2 {
			continue
		}
		rs, from = rs[max(0, len(rs)-6):], from[max(0, len(from)-6):]
		idx := make([]int, n)
		for {
			lines := make([]string, n)
			for i := range n {
				lines[i] = rs[idx[i]][i]
			}
			if res, err := passport.Parse(lines, s.parseOptions()); err == nil && better(res, s.best) {
				// The printed page and portrait are found around the zone
				// the first line was read from; tiny print anywhere in the
				// combination leaves no letter taken as read.
				s.best, s.bestAt, s.bestTiny = res, from[idx[0]].at, false
				for _, i := range idx {
					s.bestTiny = s.bestTiny || from[i].tiny
				}
				if res.Valid {
					return
				}
			}
			k := 0
			for k < n {
				idx[k]++
				if idx[k] < len(rs) {
					break
				}
				idx[k] = 0
				k++
			}
			if k == n {
				break
			}
		}
	}
}

// settle decides, by a vote of the readings of one zone, characters that
// no check digit can: when OCR weighed, at a character of the valid
// reading to be returned, a rival with which every check passes too (G/Q
// and L/1 weigh the same, a name has no check digit), the zone's other
// renderings (more) are read, and every valid reading of that zone with
// the same lines' lengths adds, at each character, the weight its OCR gave
// each candidate. When a reading spells what the vote chose, it is
// returned instead: one rendering's first choice does not outweigh the
// others' (an MRV-B's Q read G at one scale, Q at two others and line by
// line). The fields it changed stay in needs_review. Glyphs of
// tiny print are not weighed (glyphsOf); where a second identical reading
// is needed, the chosen one must have been read twice.
func (s *session) settle() {
	cur, at := s.best, s.bestAt
	if s.confirmed != nil {
		cur, at = s.confirmed, s.confirmedAt
	}
	if cur == nil || !cur.Valid || at == nil || s.err != nil || (s.bestTiny && s.confirmed == nil) || (s.confirmed != nil && s.confirmedTiny) {
		return
	}
	if !cur.HasRival(s.glyphsOf(cur.RawMRZ)) {
		return
	}
	key := zoneKey{at.z.f, at.z.b}
	if s.found[key] != nil {
		s.settling = true
		s.more(at.p, at.z)
		s.settling = false
	}
	same := func(r *passport.Result) bool {
		if !r.Valid || r.Format != cur.Format || len(r.MRZ) != len(cur.MRZ) {
			return false
		}
		for i := range r.MRZ {
			if len(r.MRZ[i]) != len(cur.MRZ[i]) {
				return false
			}
		}
		return true
	}
	votes := make([][]map[byte]float64, len(cur.MRZ))
	for i := range votes {
		votes[i] = make([]map[byte]float64, len(cur.MRZ[i]))
		for col := range votes[i] {
			votes[i][col] = map[byte]float64{}
		}
	}
	var cands []reading
	for _, rd := range s.all {
		// An overlong reading's characters after the one too many sit a
		// place off where the parser dropped a filler at the line's end:
		// not weighed.
		if rd.from.at == nil || rd.from.tiny || (zoneKey{rd.from.at.z.f, rd.from.at.z.b}) != key || !same(rd.res) || overlong(rd.res) {
			continue
		}
		cands = append(cands, rd)
		for i, line := range rd.res.Weights(rd.glyphs) {
			for col, w := range line {
				for c, v := range w {
					votes[i][col][c] += v
				}
			}
		}
	}
	want := slices.Clone(cur.MRZ)
	for i, line := range votes {
		b := []byte(want[i])
		for col, w := range line {
			for _, c := range slices.Sorted(maps.Keys(w)) {
				if w[c] > w[b[col]] {
					b[col] = c
				}
			}
		}
		want[i] = string(b)
	}
	if slices.Equal(want, cur.MRZ) {
		return
	}
	var chosen []reading
	for _, rd := range cands {
		if slices.Equal(rd.res.MRZ, want) {
			chosen = append(chosen, rd)
		}
	}
	if len(chosen) == 0 || (s.needConfirm && len(chosen) < 2) {
		return
	}
	s.outvoted = cur.MRZ
	if s.confirmed != nil || s.needConfirm {
		s.confirmed, s.confirmedAt, s.confirmedTiny = chosen[0].res, chosen[0].from.at, chosen[0].from.tiny
	} else {
		s.best, s.bestAt, s.bestTiny = chosen[0].res, chosen[0].from.at, chosen[0].from.tiny
	}
}

func (s *session) request(psm ocr.PageSegMode) ocr.Request {
	return ocr.Request{
		Languages:   []string{Language},
		TessdataDir: s.r.cfg.TessdataDir,
		PageSegMode: psm,
		Whitelist:   Alphabet,
		Symbols:     true,
		DPI:         300,
	}
}

// plausible tells a zone read badly from text that merely looks like one:
// at least two of its check digits pass. Random text passes each with
// probability 1/10.
func plausible(r *passport.Result) bool {
	n := 0
	for _, k := range []string{"document_number", "birth_date", "expiry_date", "composite", "personal_number"} {
		if r.Checks[k] {
			n++
		}
	}
	return r.Valid || n >= 2
}

// better reports whether r beats best: valid first, then more checks
// passed, then fewer corrections.
func better(r, best *passport.Result) bool {
	if best == nil {
		return true
	}
	if r.Valid != best.Valid {
		return r.Valid
	}
	rp, bp := passed(r), passed(best)
	if rp != bp {
		return rp > bp
	}
	return len(r.Corrections) < len(best.Corrections)
}

func passed(r *passport.Result) int {
	n := 0
	for _, ok := range r.Checks {
		if ok {
			n++
		}
	}
	return n
}

// minColourShift is the mean difference, in gray levels, between a zone's
// crop in luminance and in value (brightest channel) above which the
// zone lies under colour worth a reading of its own.
const minColourShift = 8

// valueCrop crops zone z, like up (its crop in luminance), from the
// page's value: each pixel's brightest channel. A zone's ink is black, dark
// in every channel; a coloured mark over it (a highlighter, a pen's line,
// a violet stamp) is bright in one and fades there, where luminance keeps
// it as dark as ink. False when the page has no colour, or not around z.
func (s *session) valueCrop(p *page, z zone, up *image.Gray, flip bool) (*image.Gray, bool) {
	if s.value == nil {
		s.value = &page{s: p.s}
		v, ok := valueOf(s.colour)
		if !ok {
			return nil, false
		}
		s.value.orig, s.value.shrunk = v, map[int]*image.Gray{1: v}
	}
	if s.value.orig == nil || s.value.orig.Rect != p.orig.Rect {
		return nil, false
	}
	s.value.s = p.s // shrunk holds the original reduced, whatever the working scale
	v := s.crop(s.value, z, glyphHeights[0], flip)
	if v.Rect != up.Rect {
		return nil, false
	}
	shift := 0
	for i := range v.Pix {
		shift += int(v.Pix[i]) - int(up.Pix[i])
	}
	if shift < minColourShift*len(v.Pix) {
		return nil, false
	}
	return v, true
}

// valueOf returns img's brightest channel per pixel, with bounds from
// (0, 0); false for an image without colour.
func valueOf(img image.Image) (*image.Gray, bool) {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := img.(type) {
	case *image.Gray, *image.Gray16:
		return nil, false
	case *image.YCbCr:
		for y := range b.Dy() {
			row := out.Pix[y*out.Stride:]
			for x := range b.Dx() {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				row[x] = max(r, g, bl)
			}
		}
	case *image.RGBA:
		for y := range b.Dy() {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := out.Pix[y*out.Stride:]
			for x := range b.Dx() {
				row[x] = max(src[4*x], src[4*x+1], src[4*x+2])
			}
		}
	default:
		for y := range b.Dy() {
			row := out.Pix[y*out.Stride:]
			for x := range b.Dx() {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				row[x] = uint8(max(r, g, bl) >> 8)
			}
		}
	}
	return out, true
}
