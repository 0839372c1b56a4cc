package mrzscan

import (
	"image"
	"log/slog"
	"math"

	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/printpage"
)

// PrintLanguage is the Tesseract model the printed data page is read with.
const PrintLanguage = "eng"

// printPxPerMM is the printed page's resolution for Tesseract: 7 pixels per
// millimetre (178 DPI) gives a data page's 2.3 mm labels 16-pixel capitals,
// and costs half the recognition time of 254 DPI.
const printPxPerMM = 7

// placement is where a zone was read: the page, the located zone and
// whether it was read turned by 180 degrees against the locator's guess.
type placement struct {
	p    *page
	z    zone
	flip bool
}

// ICAO 9303 sizes, millimetres: the document (parts 4-7; the French card
// of 1988-2021 is 105 x 74 as TD2, docs/passport-evaluation.md) and the
// zone's character pitch (10 characters per inch).
var docMM = map[passport.Format][2]float64{
	passport.TD1: {85.6, 54}, passport.TD2: {105, 74}, passport.TD3: {125, 88},
	passport.MRVA: {120, 80}, passport.MRVB: {105, 74}, passport.FRID: {105, 74},
}

const pitchMM = 2.54

var zoneChars = map[passport.Format]int{passport.TD1: 30, passport.TD2: 36, passport.TD3: 44, passport.MRVA: 44, passport.MRVB: 36, passport.FRID: 36}

// docFrame places the document around the zone, in millimetres from the
// zone's centre (x to the right, y down, the document upright): its left,
// top, right and bottom edges, and the zone's top edge.
func docFrame(f passport.Format, at *placement) (left, top, right, bottom, zoneTop float64) {
	size := docMM[f]
	mmPer := at.mmPerWork(f)
	zoneTop = -at.z.h * mmPer / 2
	// The zone is centred across the document and ends about 4 mm above
	// its bottom edge (ICAO: the last line's baseline is 2.5-4.5 mm up).
	bottom = at.z.h*mmPer/2 + 4
	return -size[0] / 2, bottom - size[1], size[0] / 2, bottom, zoneTop
}

// mmPerWork is millimetres per working pixel, from the zone's length.
func (at *placement) mmPerWork(f passport.Format) float64 {
	// The located length runs from the first glyph's left edge to the last
	// one's right: about one pitch short of the full lines.
	return float64(zoneChars[f]) * pitchMM / (at.z.w + at.z.lineH*0.7)
}

// region renders the rectangle (x0, y0)-(x1, y1), millimetres from the
// zone's centre in the upright document, upright at pxPerMM.
func (at *placement) region(f passport.Format, x0, y0, x1, y1, pxPerMM float64) *image.Gray {
	z := at.z
	mmPer := at.mmPerWork(f)
	r := z
	r.cx, r.cy = at.inFrame(f, (x0+x1)/2, (y0+y1)/2)
	r.w, r.h = (x1-x0)/mmPer, (y1-y0)/mmPer
	g := at.p.crop(r, 0, pxPerMM*mmPer*z.lineH, 0, 0, false)
	if at.turned() {
		g = rotate180(g)
	}
	return g
}

// inFrame maps a point in millimetres from the zone's centre (the document
// upright) to the zone's frame, where the document's x runs along the
// zone's lines and its y across them, both reversed when the zone was read
// turned.
func (at *placement) inFrame(f passport.Format, x, y float64) (float64, float64) {
	z := at.z
	mmPer := at.mmPerWork(f)
	sign := 1.0
	if at.turned() {
		sign = -1
	}
	sin, cos := math.Sincos(deg2rad(z.delta))
	u, v := x/mmPer, y/mmPer
	return z.cx + sign*(u*cos-v*sin), z.cy + sign*(u*sin+v*cos)
}

// turned reports whether the zone was read the other way up from the
// document.
func (at *placement) turned() bool { return at.z.upside != at.flip }

// checkPrint reads the printed data page above the zone res was read from
// and compares it with res (printpage.Compare). The reading spends one of
// the document's recognitions (MaxRecognitions), so that the same file is
// read the same way on any machine. Without a located zone (res came from
// the whole page), with no recognition left or when the page cannot be
// read, res.Print says "not found" for every field: nothing was confirmed.
func (s *session) checkPrint(res *passport.Result) error {
	r, ctx, at := s.r, s.ctx, s.bestAt
	notFound := func() {
		res.Print = map[string]string{}
		for _, f := range printpage.LayoutOf(res.Format).Fields {
			res.Print[f] = printpage.NotFound
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if at == nil || s.work.left <= 0 || docMM[res.Format] == [2]float64{} {
		notFound()
		return nil
	}
	s.work.left--
	left, top, right, _, zoneTop := docFrame(res.Format, at)
	img := at.region(res.Format, left+printpage.LayoutOf(res.Format).TextLeft*(right-left), top, right, zoneTop, printPxPerMM)

	rec, err := r.rec.Recognize(ctx, pad(img, 10), ocr.Request{
		Languages: []string{PrintLanguage}, TessdataDir: r.cfg.PrintTessdataDir, PageSegMode: ocr.SegAuto, DPI: int(printPxPerMM * 254 / 10),
	})
	if err != nil {
		if ctx.Err() != nil {
			// An unfinished reading is no answer, as for the zone.
			return ctx.Err()
		}
		r.cfg.Logger.WarnContext(ctx, "printed page not read", slog.Any("error", err))
		notFound()
		return nil
	}
	words := make([]printpage.Word, len(rec.Words))
	for i, w := range rec.Words {
		words[i] = printpage.Word{Text: w.Text, Confidence: w.Confidence, Box: w.Box}
	}
	printpage.Compare(words, res)
	return nil
}
