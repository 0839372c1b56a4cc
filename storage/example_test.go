package storage_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

// New picks the backend from USE_CLOUD_STORAGE; a taken name gets Django's
// suffix, and URLs are what the frontend loads.
func ExampleNew() {
	root, _ := os.MkdirTemp("", "media")
	defer os.RemoveAll(root)
	ctx := context.Background()

	store, err := storage.New(ctx, config.Storage{MediaRoot: root, MediaURL: "/media/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := store.Save(ctx, "passports/Jane Doe.pdf", strings.NewReader("%PDF-1.7"), storage.SaveOptions{})
	url, _ := store.URL(ctx, name)
	fmt.Println(name, url)

	again, _ := store.Save(ctx, "passports/Jane Doe.pdf", strings.NewReader("%PDF-1.7"), storage.SaveOptions{})
	fmt.Println(again != name, strings.HasPrefix(again, "passports/Jane Doe_"))

	_, err = store.Open(ctx, "../etc/passwd")
	fmt.Println(err)
	// Output:
	// passports/Jane Doe.pdf /media/passports/Jane%20Doe.pdf
	// true true
	// storage: suspicious file name (bad input): "../etc/passwd" escapes the storage root
}
