package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/jobs"
	"github.com/revisbali/worker/storage"
)

// addFileURLs gives each stored file a job's output names ({"name": ...}
// under the keys of its kind's Files) a "url" made now, as Django's
// job_result does: outputs keep names only, since a URL made when the job
// ran expires after AWS_QUERYSTRING_EXPIRE. The storage settings are read
// only then.
func addFileURLs(ctx context.Context, env map[string]string, v *jobView) error {
	k, _ := jobs.Lookup(v.Kind)
	keys := k.Files
	if len(keys) == 0 || string(v.Output) == "null" {
		return nil
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(v.Output, &out); err != nil {
		return nil // not an object: nothing names a file
	}
	var store storage.Storage
	changed := false
	for _, key := range keys {
		var file map[string]any
		if json.Unmarshal(out[key], &file) != nil {
			continue
		}
		name, _ := file["name"].(string)
		if name == "" {
			continue
		}
		if store == nil {
			cfg, err := config.LoadStorage(env)
			if err != nil {
				return err
			}
			if store, err = storage.New(ctx, cfg); err != nil {
				return err
			}
		}
		u, err := store.URL(ctx, name)
		if err != nil {
			return fmt.Errorf("%s url: %w", key, err)
		}
		file["url"] = u
		raw, err := json.Marshal(file)
		if err != nil {
			return err
		}
		out[key], changed = raw, true
	}
	if !changed {
		return nil
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	v.Output = raw
	return nil
}
