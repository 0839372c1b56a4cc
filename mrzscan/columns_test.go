package mrzscan

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"testing"

	"github.com/revisbali/worker/imgutil"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
)

// lineOf lays text out as one recognised line at a pitch of 30 pixels,
// glyph boxes 22 x 34, starting at x = 20; shift moves single symbols.
func lineOf(text string, shift map[int]int) []ocr.Symbol {
	var out []ocr.Symbol
	for i := range len(text) {
		x := 20 + 30*i + shift[i]
		out = append(out, ocr.Symbol{Text: text[i : i+1], Confidence: 95, Box: image.Rect(x, 20, x+22, 54), Line: 0})
	}
	return out
}

func TestOneColumnEach(t *testing.T) {
	zone := "P<GBRUNITED<KINGDOM<TWENTY<SIX<<JODIE<PIPPA<"
	for _, tt := range []struct {
		name string
		syms []ocr.Symbol
		want string
	}{
		{
			// "7P": the P's glyph read twice, the 7 a third of a pitch
			// left of the P's column.
			name: "a glyph read twice in a line one too long",
			syms: func() []ocr.Symbol {
				s := lineOf(zone, nil)
				p := strings.Index(zone, "PIPPA")
				dup := s[p]
				dup.Text = "7"
				dup.Box = dup.Box.Add(image.Pt(-10, 0))
				return append(s[:p:p], append([]ocr.Symbol{dup}, s[p:]...)...)
			}(),
			want: zone,
		},
		{
			name: "a zone line's length is left alone",
			syms: lineOf(zone, map[int]int{10: -14}),
			want: zone,
		},
		{
			name: "a short line is no zone line",
			syms: lineOf("ABCDEFG", map[int]int{3: -20}),
			want: "ABCDEFG",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := ocr.Recognition{Symbols: tt.syms}
			rec.Text = symbolText(rec.Symbols)
			oneColumnEach(image.NewGray(image.Rect(0, 0, 1400, 80)), &rec)
			if got := strings.TrimSpace(rec.Text); got != tt.want {
				t.Errorf("text %q, want %q", got, tt.want)
			}
			if got := strings.TrimSpace(symbolText(rec.Symbols)); got != tt.want {
				t.Errorf("symbols spell %q, want %q", got, tt.want)
			}
		})
	}
}

// glyphBitmaps are 5 x 7 letters, drawn as a thumbnail's glyphs look
// after enlarging: an M and an R that differ only in their right half.
var glyphBitmaps = map[byte][7]string{
	'M': {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"},
	'R': {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"},
	'A': {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'<': {".....", "...#.", "..#..", ".#...", "..#..", "...#.", "....."},
}

// drawLine draws text in glyphBitmaps at a pitch of 30 pixels (4 pixels a
// dot) and returns the image with one symbol per character, as lineOf.
func drawLine(text string) (*image.Gray, []ocr.Symbol) {
	syms := lineOf(text, nil)
	img := image.NewGray(image.Rect(0, 0, 40+30*len(text), 80))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for i := range len(text) {
		bm := glyphBitmaps[text[i]]
		x0, y0 := syms[i].Box.Min.X+1, syms[i].Box.Min.Y+3
		for r, row := range bm {
			for c := range len(row) {
				if row[c] != '#' {
					continue
				}
				for dy := range 4 {
					for dx := range 4 {
						img.Pix[(y0+4*r+dy)*img.Stride+x0+4*c+dx] = 30
					}
				}
			}
		}
	}
	return img, syms
}

func TestByExemplars(t *testing.T) {
	text := "MARAM<MRA<AMRA<RAMA<MRAM<<AM<<RRA<<"
	for _, tt := range []struct {
		name    string
		at      int // the symbol whose reading is altered
		read    byte
		choices []ocr.Choice
		want    byte
	}{
		{"an M read R, M weighed", 0, 'R', []ocr.Choice{{Text: "R", Confidence: 91}, {Text: "M", Confidence: 43}}, 'M'},
		{"an R read M, R weighed", 2, 'M', []ocr.Choice{{Text: "M", Confidence: 90}, {Text: "R", Confidence: 30}}, 'R'},
		{"an R read R, M weighed", 2, 'R', []ocr.Choice{{Text: "R", Confidence: 90}, {Text: "M", Confidence: 40}}, 'R'},
		{"a rival weighed too little is not looked at", 0, 'R', []ocr.Choice{{Text: "R", Confidence: 95}, {Text: "M", Confidence: 5}}, 'R'},
		{"a rival with no other glyph in the zone", 0, 'R', []ocr.Choice{{Text: "R", Confidence: 91}, {Text: "N", Confidence: 60}}, 'R'},
	} {
		t.Run(tt.name, func(t *testing.T) {
			img, syms := drawLine(text)
			syms[tt.at].Text = string(tt.read)
			syms[tt.at].Choices = tt.choices
			rec := ocr.Recognition{Symbols: syms}
			rec.Text = symbolText(syms)
			byExemplars(img, &rec)
			want := []byte(text)
			want[tt.at] = tt.want
			if got := strings.TrimSpace(rec.Text); got != string(want) {
				t.Errorf("read %q, want %q", got, want)
			}
		})
	}
}

// A passport page shrunk to a 270 px thumbnail and saved as JPEG, as
// specimen galleries show them: zone glyphs of 6-7 pixels. Before glyphs
// were put on their columns and weighed against the zone's own glyphs,
// its surname OCONNOR was read MOCONKOR (a glyph read twice, an N read
// K), and no reading was valid.
func TestReadTinyThumbnail(t *testing.T) {
	t.Parallel()
	s := generate(t, 102, mrzgen.Options{Format: passport.TD3, Scene: mrzgen.CardCrop, Turn: 0, DPI: 300})
	img, _, err := image.Decode(bytes.NewReader(s.Data))
	if err != nil {
		t.Fatal(err)
	}
	g := imgutil.Gray(img)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, resize(g, 270, 270*g.Rect.Dy()/g.Rect.Dx()), &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	thumb, _, err := image.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newReader(t).ReadImage(context.Background(), thumb)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid || !slices.Equal(res.MRZ, s.Truth.MRZ) {
		t.Errorf("270 px thumbnail read %q (valid %v), want %q", res.MRZ, res.Valid, s.Truth.MRZ)
	}
	// Letters this small are never taken as read: the names stay listed.
	for _, k := range []string{"surname", "given_names"} {
		if !slices.Contains(res.NeedsReview, k) {
			t.Errorf("needs_review %q lacks %s", res.NeedsReview, k)
		}
	}
}
