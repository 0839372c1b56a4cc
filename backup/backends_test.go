package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/internal/r2proxy"
	"github.com/revisbali/worker/internal/testbed"
	"github.com/revisbali/worker/storage"
)

var saveReplace = storage.SaveOptions{Replace: true}

// backend is a Store under test, with a way to find the files a save of
// name has on disk, complete or partial.
type backend struct {
	name      string
	store     Store
	leftovers func(t *testing.T, name string) []string
	// file is where the backend keeps name's bytes on this disk.
	file func(name string) string
}

// backends returns the two real storage backends, each fresh for this
// test: the local one on a temp MEDIA_ROOT, and S3 on the test bed's
// versitygw through the R2 strictness proxy, under a fresh AWS_LOCATION.
func backends(t *testing.T) []backend {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	local, err := storage.New(ctx, config.Storage{MediaRoot: root, MediaURL: "/media/"})
	if err != nil {
		t.Fatal(err)
	}
	srv := testbed.S3Server(t)
	location := "t-" + randomHex(6)
	remote, err := storage.New(ctx, config.Storage{
		UseCloudStorage:   true,
		MediaURL:          "/media/",
		AccessKeyID:       srv.AccessKey,
		SecretAccessKey:   srv.SecretKey,
		Bucket:            srv.Bucket,
		EndpointURL:       r2proxy.Start(t, srv.Endpoint).URL,
		Region:            "auto",
		SignatureVersion:  "s3v4",
		QuerystringAuth:   true,
		QuerystringExpire: 3600,
		URLProtocol:       "https:",
		Location:          location,
		FileOverwrite:     true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return []backend{
		// The local backend writes a hidden temp file beside the target.
		{name: "local", store: local, leftovers: func(t *testing.T, name string) []string {
			return filesUnder(t, filepath.Join(root, path.Dir(name)))
		}, file: func(name string) string { return filepath.Join(root, name) }},
		// versitygw keeps the parts of an unfinished multipart upload under
		// .sgwtmp/multipart/<sha256 of the key>/<upload id>/.
		{name: "s3", store: remote, leftovers: func(t *testing.T, name string) []string {
			key := location + "/" + name
			sum := sha256.Sum256([]byte(key))
			bucket := filepath.Join(srv.Dir, srv.Bucket)
			return append(filesUnder(t, filepath.Join(bucket, path.Dir(key))),
				filesUnder(t, filepath.Join(bucket, ".sgwtmp", "multipart", hex.EncodeToString(sum[:])))...)
		}, file: func(name string) string { return filepath.Join(srv.Dir, srv.Bucket, location, name) }},
	}
}

// filesUnder lists the files below dir.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
