package config

import (
	"errors"
	"strings"
	"testing"
)

func base() map[string]string {
	return map[string]string{
		"DATABASE_URL": "postgres://app:s3cret-db-pass@localhost:5432/app",
		"MEDIA_ROOT":   "/srv/media",
	}
}

func with(extra map[string]string) map[string]string {
	vars := base()
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestUseCloudStorageSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		set     bool
		want    bool
		wantErr bool
	}{
		{set: false, want: false},
		{value: "True", set: true, want: true},
		{value: "False", set: true, want: false},
		{value: "", set: true, want: false},
		{value: "true", set: true, wantErr: true},
		{value: "1", set: true, wantErr: true},
		{value: "yes", set: true, wantErr: true},
		{value: "TRUE", set: true, wantErr: true},
		{value: " True", set: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			vars := with(map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"})
			if tt.set {
				vars["USE_CLOUD_STORAGE"] = tt.value
			}
			cfg, err := LoadFrom(vars)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("USE_CLOUD_STORAGE=%q accepted; want an error", tt.value)
				}
				if !strings.Contains(err.Error(), "USE_CLOUD_STORAGE") || !strings.Contains(err.Error(), "'True'") {
					t.Errorf("error does not explain Django's rule: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bool(cfg.Storage.UseCloudStorage) != tt.want {
				t.Errorf("UseCloudStorage = %v, want %v", cfg.Storage.UseCloudStorage, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Storage
	if s.Region != "auto" || s.QuerystringExpire != 3600 || !bool(s.QuerystringAuth) || !bool(s.FileOverwrite) ||
		s.SignatureVersion != "s3v4" || s.MediaURL != "/media/" || s.URLProtocol != "https:" || s.Bucket != DevBucket {
		t.Errorf("unexpected defaults: %+v", s)
	}
}

func TestBucketByAppEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, DevBucket},
		{map[string]string{"APP_ENV": "dev"}, DevBucket},
		{map[string]string{"APP_ENV": "prod"}, ProdBucket},
		{map[string]string{"APP_ENV": "prod", "AWS_STORAGE_BUCKET_NAME": "other"}, "other"},
	}
	for _, tt := range tests {
		cfg, err := LoadFrom(with(tt.vars))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Storage.Bucket != tt.want {
			t.Errorf("%v: bucket %q, want %q", tt.vars, cfg.Storage.Bucket, tt.want)
		}
	}
}

func TestEveryProblemAtOnceWithoutSecrets(t *testing.T) {
	t.Parallel()
	_, err := LoadFrom(map[string]string{
		"DATABASE_URL":             "mysql://root:hunter2-secret@db/app",
		"USE_CLOUD_STORAGE":        "yes",
		"AWS_SECRET_ACCESS_KEY":    "very-secret-key-value",
		"AWS_S3_SIGNATURE_VERSION": "s3",
		"AWS_QUERYSTRING_EXPIRE":   "604801",
		"APP_ENV":                  "staging",
		"AWS_LOCATION":             "/media",
		"AWS_S3_ADDRESSING_STYLE":  "sideways",
	})
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error is %T, want *config.Error", err)
	}
	msg := err.Error()
	for _, name := range []string{"DATABASE_URL", "USE_CLOUD_STORAGE", "AWS_S3_SIGNATURE_VERSION", "AWS_QUERYSTRING_EXPIRE", "APP_ENV", "AWS_LOCATION", "AWS_S3_ADDRESSING_STYLE", "MEDIA_ROOT"} {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not name %s:\n%s", name, msg)
		}
	}
	for _, secret := range []string{"hunter2-secret", "very-secret-key-value"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error echoes a secret:\n%s", msg)
		}
	}
}

func TestCloudNeedsKeys(t *testing.T) {
	t.Parallel()
	_, err := LoadFrom(with(map[string]string{"USE_CLOUD_STORAGE": "True"}))
	if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("want missing keys reported, got %v", err)
	}
}

func TestUnparsableNumberNamesVariable(t *testing.T) {
	t.Parallel()
	_, err := LoadFrom(with(map[string]string{"AWS_QUERYSTRING_EXPIRE": "an hour"}))
	if err == nil || !strings.Contains(err.Error(), "AWS_QUERYSTRING_EXPIRE") {
		t.Fatalf("want AWS_QUERYSTRING_EXPIRE named, got %v", err)
	}
}

// AWS_LOCATION must be a clean relative path, as django-storages'
// safe_join needs: "media/.." made keys that reached the bucket root.
func TestLocationMustBeCleanAndRelative(t *testing.T) {
	t.Parallel()
	tests := []struct {
		location string
		ok       bool
	}{
		{"", true},
		{"media", true},
		{"media/", true},
		{"site/media", true},
		{"media/..", false},
		{"..", false},
		{"media/../secret", false},
		{"./media", false},
		{".", false},
		{"a//b", false},
		{"a/./b", false},
		{"/media", false},
		{"me\x00dia", false},
	}
	for _, tt := range tests {
		_, err := LoadFrom(map[string]string{"DATABASE_URL": "postgres://u@db/app", "AWS_LOCATION": tt.location})
		refused := err != nil && strings.Contains(err.Error(), "AWS_LOCATION")
		if refused == tt.ok {
			t.Errorf("AWS_LOCATION=%q: %v, want accepted %v", tt.location, err, tt.ok)
		}
	}
}

// A command that reads only the storage or the database gets the same
// settings as the daemon, without being asked for the rest.
func TestLoadParts(t *testing.T) {
	t.Parallel()
	for _, vars := range []map[string]string{
		{"DATABASE_URL": "postgres://u@h/db", "MEDIA_ROOT": "/srv/media"},
		{"DATABASE_URL": "postgres://u@h/db", "APP_ENV": "prod", "USE_CLOUD_STORAGE": "True", "AWS_ACCESS_KEY_ID": "k",
			"AWS_SECRET_ACCESS_KEY": "s", "AWS_S3_ENDPOINT_URL": "https://x.r2.cloudflarestorage.com", "AWS_LOCATION": "media"},
	} {
		full, err := LoadFrom(vars)
		if err != nil {
			t.Fatal(err)
		}
		delete(vars, "DATABASE_URL")
		s, err := LoadStorage(vars)
		if err != nil || s != full.Storage {
			t.Errorf("LoadStorage(%v) = %+v, %v; want %+v", vars, s, err, full.Storage)
		}
	}
	if _, err := LoadStorage(map[string]string{"USE_CLOUD_STORAGE": "yes"}); err == nil || !strings.Contains(err.Error(), "USE_CLOUD_STORAGE") {
		t.Errorf("LoadStorage of a bad value: %v", err)
	}
	if _, err := LoadStorage(map[string]string{"APP_ENV": "staging", "MEDIA_ROOT": "/m"}); err == nil || !strings.Contains(err.Error(), "APP_ENV") {
		t.Errorf("LoadStorage of a bad APP_ENV: %v", err)
	}
	if u, err := LoadDatabaseURL(map[string]string{"DATABASE_URL": "postgres://u@h/db"}); err != nil || u != "postgres://u@h/db" {
		t.Errorf("LoadDatabaseURL = %q, %v", u, err)
	}
	for _, bad := range []string{"", "mysql://u:pw@h/db"} {
		if _, err := LoadDatabaseURL(map[string]string{"DATABASE_URL": bad}); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "pw") {
			t.Errorf("LoadDatabaseURL(%q): %v", bad, err)
		}
	}
}
