package jobs

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"

	"github.com/revisbali/worker/passport"
	"github.com/revisbali/worker/storage"
)

// portraitPrefix is where portraits are stored: portraits/<scan name>.jpg,
// as previews keep the whole name (a.jpg and a.pdf are two scans).
const portraitPrefix = "portraits/"

func portraitName(scan string) string { return portraitPrefix + scan + ".jpg" }

// storePortrait stores the holder's portrait found in res (HolderCrop: on
// a visa page, the passport data page's) as a JPEG under
// portraitName(scan), replacing an earlier reading's, and names it in
// res.Portrait. With none found, an earlier reading's portrait is deleted:
// the name never holds a picture this reading did not find.
func (w *passportMRZWorker) storePortrait(ctx context.Context, scan string, res *passport.Result) error {
	name := portraitName(scan)
	crop := res.HolderCrop()
	if crop == nil {
		if err := w.deps.Storage.Delete(ctx, name); err != nil {
			return fmt.Errorf("delete earlier portrait: %w", err)
		}
		return nil
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, crop.Image, &jpeg.Options{Quality: 90}); err != nil {
		return fmt.Errorf("encode portrait: %w", err)
	}
	saved, err := w.deps.Storage.Save(ctx, name, &buf, storage.SaveOptions{ContentType: "image/jpeg", Replace: true, Size: int64(buf.Len())})
	if err != nil {
		return fmt.Errorf("store portrait: %w", err)
	}
	res.Portrait = &passport.Portrait{Name: saved}
	return nil
}
