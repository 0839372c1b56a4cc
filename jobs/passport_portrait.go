package jobs

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"path"
	"strings"

	"github.com/revisbali/worker/storage"
)

// portraitName is where the portrait of scan name is stored:
// portraits/<name without its extension>.jpg.
func portraitName(name string) string {
	return "portraits/" + strings.TrimSuffix(name, path.Ext(name)) + ".jpg"
}

// savePortrait stores img as a JPEG under portraitName(scan), replacing the
// portrait of an earlier reading, and returns the stored name.
func savePortrait(ctx context.Context, st storage.Storage, scan string, img image.Image) (string, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return "", fmt.Errorf("encode portrait: %w", err)
	}
	name, err := st.Save(ctx, portraitName(scan), &buf, storage.SaveOptions{ContentType: "image/jpeg", Replace: true, Size: int64(buf.Len())})
	if err != nil {
		return "", fmt.Errorf("store portrait: %w", err)
	}
	return name, nil
}
