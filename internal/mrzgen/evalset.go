package mrzgen

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// EvalVersion names the evaluation set that EvalSet makes. The set is
// generated, not committed: the same version gives the same bytes, which
// evalset.sha256 pins (CheckEvalDigests). A change to the generator that
// changes any image must bump the version and rewrite the digests
// (`go run ./internal/bench/mrzbench evalset -digests internal/mrzgen/evalset.sha256 DIR`),
// so that figures quoted for one version are never compared with another's.
const EvalVersion = 8

//go:embed evalset.sha256
var evalDigests string

// EvalNow is the date the evaluation set's identities are made around;
// readers of the set place two-digit years by it.
var EvalNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// EvalCase is one document of the evaluation set and the part of the set it
// counts in.
type EvalCase struct {
	Sample
	// Photo marks a phone-photo-like scene (PhonePhoto, HandHeld,
	// VisaPage); the others are clean pages (flatbed scans and app crops,
	// tight ones included).
	Photo bool `json:"photo"`
	// Broken marks a zone printed with a wrong check digit: a reader must
	// find it and say it is not valid. Truth is nil for a page without a
	// zone.
	Broken bool `json:"broken"`
}

// evalPlan is the evaluation set: every format in every scene, quarter
// turns spread over them, plus a zone whose check digit is wrong (read, but
// never valid) and pages without a zone. Kept small so that reading it
// twice (idle and under load) stays well under a minute on two cores.
var evalPlan = []struct {
	scene    Scene
	n        int
	broken   bool
	negative bool
}{
	{scene: ScanPage, n: 4},
	{scene: CardCrop, n: 4},
	{scene: EdgeCrop, n: 4},
	{scene: PhonePhoto, n: 6},
	{scene: HandHeld, n: 14},
	{scene: VisaPage, n: 5},
	{scene: HandHeld, n: 1, broken: true},
	{scene: ScanPage, n: 1, negative: true},
	{scene: PhonePhoto, n: 1, negative: true},
}

// EvalSet makes the evaluation set of version EvalVersion.
func (fs *Fonts) EvalSet() ([]EvalCase, error) { return fs.EvalSetSeeded(evalSeed) }

// evalSeed seeds the evaluation set.
const evalSeed = 2026

// EvalSetSeeded makes a set of the evaluation set's plan from another seed:
// a held-out set, to check that a change to the reader made for the
// evaluation set's misses is no tuning to its images. Its files are named
// like the set's, with the seed after the version when it is not the set's.
func (fs *Fonts) EvalSetSeeded(seed uint64) ([]EvalCase, error) {
	rng := rand.New(rand.NewPCG(seed, EvalVersion))
	prefix := fmt.Sprintf("v%d", EvalVersion)
	if seed != evalSeed {
		prefix += fmt.Sprintf("s%d", seed)
	}
	var out []EvalCase
	for _, p := range evalPlan {
		for i := range p.n {
			opts := Options{
				Format:     Formats[(i+len(out))%len(Formats)],
				Scene:      p.scene,
				Turn:       90 * ((i + len(out)) % 4),
				Now:        EvalNow,
				BreakCheck: p.broken,
				Negative:   p.negative,
			}
			kind := string(p.scene)
			switch {
			case p.broken:
				kind += "-broken"
			case p.negative:
				kind += "-nozone"
			}
			id := fmt.Sprintf("%s-%s-%02d", prefix, kind, i)
			s, err := fs.Generate(rng, id, opts)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			s.File = id + "." + s.Ext
			out = append(out, EvalCase{Sample: s, Photo: p.scene.photoScene(), Broken: p.broken})
		}
	}
	return out, nil
}

// Digest is the SHA-256 of the sample's bytes, hex.
func (s Sample) Digest() string {
	h := sha256.Sum256(s.Data)
	return hex.EncodeToString(h[:])
}

// EvalDigests is the digest file's content for cases: "sha256  file" per
// line, after a line naming the version.
func EvalDigests(cases []EvalCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mrzgen evaluation set version %d\n", EvalVersion)
	for _, c := range cases {
		fmt.Fprintf(&b, "%s  %s\n", c.Digest(), c.File)
	}
	return b.String()
}

// CheckEvalDigests reports whether cases are byte for byte the set that
// evalset.sha256 pins, naming the first file that differs.
func CheckEvalDigests(cases []EvalCase) error {
	want := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(evalDigests))
	for sc.Scan() {
		if d, f, ok := strings.Cut(sc.Text(), "  "); ok && !strings.HasPrefix(d, "#") {
			want[f] = d
		}
	}
	if len(want) != len(cases) {
		return fmt.Errorf("mrzgen: evalset.sha256 lists %d files, version %d makes %d: bump EvalVersion and rewrite the digests", len(want), EvalVersion, len(cases))
	}
	for _, c := range cases {
		if want[c.File] != c.Digest() {
			return fmt.Errorf("mrzgen: %s differs from evalset.sha256: the generator changed; bump EvalVersion and rewrite the digests", c.File)
		}
	}
	return nil
}
