package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/docgen"
	"github.com/revisbali/worker/internal/mrzgen"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/ocr"
	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/storage"
	"github.com/revisbali/worker/tempfile"
)

// The passport_mrz job through River, with files in the S3 test bed and on
// local disk: a readable passport photo completes with its fields and its
// holder's portrait stored as portraits/<name>.jpg; a PDF whose zone is on
// page 2 completes; a card whose photo box is blank completes without a
// portrait (and an earlier reading's is removed); a zone whose check digit
// is wrong completes with valid false; a page without a zone and a corrupt
// file are cancelled without retry; and no local copy is left behind.
func TestPassportMRZJob(t *testing.T) {
	t.Parallel()
	for _, cloud := range []bool{true, false} {
		t.Run(map[bool]string{true: "s3", false: "local"}[cloud], func(t *testing.T) {
			t.Parallel()
			testPassportMRZJob(t, cloud)
		})
	}
}

func testPassportMRZJob(t *testing.T, cloud bool) {
	ctx := context.Background()
	dbURL := testbed.NewDatabase(t)

	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	storeCfg := config.Storage{MediaRoot: t.TempDir(), MediaURL: "/media/"}
	if cloud {
		srv := testbed.S3Server(t)
		storeCfg = config.Storage{
			UseCloudStorage: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, Bucket: srv.Bucket,
			EndpointURL: srv.Endpoint, Region: "auto", SignatureVersion: "s3v4", QuerystringAuth: true,
			QuerystringExpire: 3600, FileOverwrite: true, Location: "passport-job-" + time.Now().Format("150405.000000"),
		}
	}
	store, err := storage.New(ctx, storeCfg)
	if err != nil {
		t.Fatal(err)
	}
	tempRoot := t.TempDir()
	temp, err := tempfile.Open(tempRoot)
	if err != nil {
		t.Fatal(err)
	}
	defer temp.Close()
	engines, err := ocr.NewPool(ocr.PoolConfig{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer engines.Close()

	// The documents.
	fonts, err := mrzgen.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rng := rand.New(rand.NewPCG(11, 12))
	gen := func(opts mrzgen.Options) mrzgen.Sample {
		opts.Now = now
		s, err := fonts.Generate(rng, "x", opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	photo := gen(mrzgen.Options{Format: passport.TD3, Scene: mrzgen.PhonePhoto, DPI: 200, Turn: 90})
	card := gen(mrzgen.Options{Format: passport.TD1, Scene: mrzgen.CardCrop, DPI: 200, Turn: 0})
	broken := gen(mrzgen.Options{Format: passport.TD2, Scene: mrzgen.CardCrop, DPI: 200, Turn: 0, BreakCheck: true})
	blank := gen(mrzgen.Options{Format: passport.TD3, Scene: mrzgen.ScanPage, DPI: 150, Turn: 0, Negative: true})
	noPhoto := gen(mrzgen.Options{Format: passport.TD1, Scene: mrzgen.CardCrop, DPI: 250, Turn: 0, BlankPhoto: true})
	decode := func(s mrzgen.Sample) image.Image {
		img, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	pdf, err := docgen.ImagePDF([]image.Image{decode(blank), decode(card)}, 300)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"passports/photo.jpg":    photo.Data,
		"passports/id-card.pdf":  pdf,
		"passports/broken.jpg":   broken.Data,
		"passports/letter.jpg":   blank.Data,
		"passports/corrupt.jpg":  photo.Data[:len(photo.Data)/3],
		"passports/no-photo.jpg": noPhoto.Data,
		// An earlier reading's portrait, which a reading without one removes.
		"portraits/passports/no-photo.jpg.jpg": photo.Data,
	}
	for name, data := range files {
		if _, err := store.Save(ctx, name, bytes.NewReader(data), storage.SaveOptions{Replace: true, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
	}

	cfg, err := config.LoadFrom(map[string]string{"DATABASE_URL": db.Config().ConnString(), "MEDIA_ROOT": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Passport = config.Passport{TessdataDir: "../tessdata", MaxPages: 5}
	reg, err := Register(Deps{Config: cfg, Storage: store, Pool: db, Temp: temp, OCR: engines})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(reg.Kinds, func(k Kind) bool { return k.Name == KindPassportMRZ }) {
		t.Fatalf("passport_mrz not registered: %+v", reg.Kinds)
	}
	client, err := river.NewClient(riverpgxv5.New(db), &river.Config{
		Queues:     map[string]river.QueueConfig{QueuePassport: {MaxWorkers: 2}},
		Workers:    reg.Workers,
		Middleware: []rivertype.Middleware{ErrorMiddleware(reg.Kinds)},
	})
	if err != nil {
		t.Fatal(err)
	}
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer cancelSub()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()

	ids := map[int64]string{}
	for name := range files {
		if strings.HasPrefix(name, "portraits/") {
			continue
		}
		res, err := client.Insert(ctx, PassportMRZArgs{Name: name}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[res.Job.ID] = name
	}
	ended := map[string]*rivertype.JobRow{}
	// Wait as long as the test binary allows: with -race on a busy machine
	// these readings take minutes, and a fixed bound only measured the load.
	wait := 30 * time.Minute
	if d, ok := t.Deadline(); ok {
		wait = time.Until(d) - time.Minute
	}
	timeout := time.After(wait)
	for len(ended) < len(ids) {
		select {
		case ev := <-events:
			if name, ok := ids[ev.Job.ID]; ok {
				ended[name] = ev.Job
			}
		case <-timeout:
			t.Fatalf("jobs still running after %v; ended: %v", wait.Round(time.Second), ended)
		}
	}

	output := func(name string) passport.Result {
		t.Helper()
		job, err := client.JobGet(ctx, ended[name].ID)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Output passport.Result `json:"output"`
		}
		if err := json.Unmarshal(job.Metadata, &meta); err != nil {
			t.Fatalf("%s: metadata %s: %v", name, job.Metadata, err)
		}
		return meta.Output
	}
	for _, tt := range []struct {
		name  string
		truth *mrzgen.Truth
	}{{"passports/photo.jpg", photo.Truth}, {"passports/id-card.pdf", card.Truth}} {
		if st := ended[tt.name].State; st != rivertype.JobStateCompleted {
			t.Errorf("%s: %s, errors %v", tt.name, st, ended[tt.name].Errors)
			continue
		}
		out := output(tt.name)
		if !out.Valid || out.Name != tt.name {
			t.Errorf("%s: valid %v name %q, checks %v", tt.name, out.Valid, out.Name, out.Checks)
		}
		if got, want := mrzgen.FromResult(&out).Fields(), tt.truth.Fields(); !equalFields(got, want) {
			t.Errorf("%s: read %v, want %v", tt.name, got, want)
		}
		if out.Confidence <= 0 || out.Corrections == nil && out.Checks == nil {
			t.Errorf("%s: confidence %v, corrections %v", tt.name, out.Confidence, out.Corrections)
		}
		// The holder's portrait is stored beside the scan, and the output
		// names it (a name, not a URL).
		want := "portraits/" + tt.name + ".jpg"
		if out.Portrait == nil || out.Portrait.Name != want {
			t.Errorf("%s: portrait %+v, want name %q", tt.name, out.Portrait, want)
		} else if rc, err := store.Open(ctx, want); err != nil {
			t.Errorf("%s: portrait not stored: %v", tt.name, err)
		} else {
			img, format, err := image.Decode(rc)
			rc.Close()
			if err != nil || format != "jpeg" || img.Bounds().Dx() < 100 {
				t.Errorf("%s: stored portrait is %s %v (%v), want a JPEG photo", tt.name, format, img.Bounds(), err)
			} else if _, grey := img.(*image.Gray); grey {
				// The scans are in colour: so is the customer's picture.
				t.Errorf("%s: stored portrait is a grey JPEG, want colour", tt.name)
			}
		}
	}

	if st := ended["passports/no-photo.jpg"].State; st != rivertype.JobStateCompleted {
		t.Errorf("blank photo box: %s, errors %v", st, ended["passports/no-photo.jpg"].Errors)
	} else if out := output("passports/no-photo.jpg"); !out.Valid || out.Portrait != nil {
		t.Errorf("blank photo box: valid %v, portrait %+v; want valid and no portrait", out.Valid, out.Portrait)
	}
	if rc, err := store.Open(ctx, "portraits/passports/no-photo.jpg.jpg"); err == nil {
		rc.Close()
		t.Error("an earlier reading's portrait is still stored after a reading that found none")
	}

	if st := ended["passports/broken.jpg"].State; st != rivertype.JobStateCompleted {
		t.Errorf("broken check digit: %s, errors %v", st, ended["passports/broken.jpg"].Errors)
	} else if out := output("passports/broken.jpg"); out.Valid || out.Checks["expiry_date"] || out.DocumentNumber != broken.Truth.DocumentNumber {
		t.Errorf("broken check digit: valid %v, checks %v, number %q want %q", out.Valid, out.Checks, out.DocumentNumber, broken.Truth.DocumentNumber)
	}

	for name, want := range map[string]string{
		"passports/letter.jpg":  "no machine-readable zone found",
		"passports/corrupt.jpg": "corrupt",
	} {
		job := ended[name]
		if job.State != rivertype.JobStateCancelled || job.Attempt != 1 {
			t.Errorf("%s: %s after %d attempt(s), want cancelled after 1", name, job.State, job.Attempt)
			continue
		}
		if msg := job.Errors[len(job.Errors)-1].Error; !strings.Contains(msg, want) || !strings.Contains(msg, name) {
			t.Errorf("%s: error %q, want it to name the file and say %q", name, msg, want)
		}
	}

	// Local copies of the S3 objects are gone; only the run folder's own
	// lock remains.
	var left []string
	entries, err := os.ReadDir(temp.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".lock" {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func equalFields(a, b map[string]string) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}
