package backup

import (
	"testing"

	"github.com/revisbali/worker/storage"
)

var saveReplace = storage.SaveOptions{Replace: true}

// backend is a Store under test, with a way to find partial files it may
// have left on disk.
type backend struct {
	name      string
	store     Store
	leftovers func(t *testing.T) []string
}

func backends(t *testing.T) []backend {
	t.Helper()
	return []backend{{name: "mem", store: newMemStore()}}
}
