package djangokit_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/revisbali/worker/config"
	"github.com/revisbali/worker/storage"
)

// djangoSettings is what `python3 -m revisbali_worker.settings` prints.
type djangoSettings struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems"`
	Settings struct {
		UseCloudStorage    bool              `json:"USE_CLOUD_STORAGE"`
		MediaRoot          string            `json:"MEDIA_ROOT"`
		MediaURL           string            `json:"MEDIA_URL"`
		Bucket             string            `json:"AWS_STORAGE_BUCKET_NAME"`
		EndpointURL        *string           `json:"AWS_S3_ENDPOINT_URL"`
		Region             string            `json:"AWS_S3_REGION_NAME"`
		QuerystringAuth    bool              `json:"AWS_QUERYSTRING_AUTH"`
		QuerystringExpire  int               `json:"AWS_QUERYSTRING_EXPIRE"`
		CustomDomain       *string           `json:"AWS_S3_CUSTOM_DOMAIN"`
		URLProtocol        string            `json:"AWS_S3_URL_PROTOCOL"`
		Location           string            `json:"AWS_LOCATION"`
		AddressingStyle    string            `json:"AWS_S3_ADDRESSING_STYLE"`
		FileOverwrite      bool              `json:"AWS_S3_FILE_OVERWRITE"`
		TimeZone           string            `json:"TIME_ZONE"`
		DBBackupHostname   string            `json:"DBBACKUP_HOSTNAME"`
		DBBackupKeep       int               `json:"DBBACKUP_CLEANUP_KEEP"`
		DefaultFileStorage string            `json:"DEFAULT_FILE_STORAGE"`
		DBBackupStorage    string            `json:"DBBACKUP_STORAGE"`
		DBBackupOptions    map[string]string `json:"DBBACKUP_STORAGE_OPTIONS"`
		AccessKeyID        *string           `json:"AWS_ACCESS_KEY_ID"`
		SecretAccessKey    *string           `json:"AWS_SECRET_ACCESS_KEY"`
	} `json:"settings"`
	URLs map[string]string `json:"urls"`
}

func loadDjangoSettings(t *testing.T, env map[string]string, urlNames ...string) djangoSettings {
	t.Helper()
	args := []string{"-m", "revisbali_worker.settings"}
	for _, name := range urlNames {
		args = append(args, "--url", name)
	}
	stdout, stderr, err := tryPython(t, env, nil, args...)
	var got djangoSettings
	if jerr := json.Unmarshal(stdout, &got); jerr != nil {
		t.Fatalf("settings helper printed no JSON (%v, %v):\n%s%s", jerr, err, stdout, stderr)
	}
	if (err != nil) != (got.Error != "") {
		t.Fatalf("settings helper: exit %v but error %q", err, got.Error)
	}
	return got
}

// problemVariables are the variable names the problems start with.
func problemVariables(problems []string) []string {
	var names []string
	for _, p := range problems {
		name, _, _ := strings.Cut(p, ":")
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// TestSettingsAgreeWithWorker runs the worker's configuration and the
// Django settings helper on the same environments: both must accept or
// refuse each one, for the same variables, and agree on where files go and
// how their URLs look.
func TestSettingsAgreeWithWorker(t *testing.T) {
	requirePython(t)
	cloud := map[string]string{
		"USE_CLOUD_STORAGE":     "True",
		"AWS_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret",
		"AWS_S3_ENDPOINT_URL":   "https://0123abc.r2.cloudflarestorage.com",
	}
	local := map[string]string{"USE_CLOUD_STORAGE": "False", "MEDIA_ROOT": "/srv/app/media"}
	with := func(base map[string]string, kv ...string) map[string]string {
		env := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	tests := []struct {
		name string
		env  map[string]string
		// refused lists the variables both sides must name; empty means
		// both accept the environment.
		refused []string
	}{
		{name: "local", env: local},
		{name: "unset means local", env: map[string]string{"MEDIA_ROOT": "/srv/app/media", "APP_ENV": "prod"}},
		{name: "local with media url", env: with(local, "MEDIA_URL", "/files/", "AWS_STORAGE_BUCKET_NAME", "ignored")},
		{name: "cloud dev bucket", env: cloud},
		{name: "cloud prod bucket", env: with(cloud, "APP_ENV", "prod")},
		{name: "cloud explicit bucket and location", env: with(cloud, "APP_ENV", "prod", "AWS_STORAGE_BUCKET_NAME", "other", "AWS_LOCATION", "crm/media/")},
		{name: "cloud longest expiry", env: with(cloud, "AWS_QUERYSTRING_EXPIRE", "604800")},
		{name: "cloud custom domain", env: with(cloud, "AWS_S3_CUSTOM_DOMAIN", "files.example.com", "AWS_S3_URL_PROTOCOL", "http:")},
		{name: "cloud unsigned virtual", env: with(cloud, "AWS_QUERYSTRING_AUTH", "False", "AWS_S3_ADDRESSING_STYLE", "virtual", "AWS_S3_REGION_NAME", "us-east-1")},
		{name: "cloud no overwrite", env: with(cloud, "AWS_S3_FILE_OVERWRITE", "False", "MEDIA_ROOT", "/srv/app/media")},
		{name: "backups elsewhere", env: with(cloud, "AWS_LOCATION", "crm", "DBBACKUP_LOCATION", "db/dumps/", "DBBACKUP_HOSTNAME", "web1", "DBBACKUP_CLEANUP_KEEP", "30", "TIME_ZONE", "Asia/Makassar")},
		{name: "local backups elsewhere", env: with(local, "DBBACKUP_LOCATION", "db", "TIME_ZONE", "UTC")},
		{name: "empty values mean defaults", env: with(cloud, "AWS_QUERYSTRING_EXPIRE", "", "AWS_S3_REGION_NAME", "", "MEDIA_URL", "", "APP_ENV", "", "AWS_QUERYSTRING_AUTH", "")},

		{name: "lowercase true", env: with(cloud, "USE_CLOUD_STORAGE", "true"), refused: []string{"MEDIA_ROOT", "USE_CLOUD_STORAGE"}},
		{name: "one", env: with(local, "USE_CLOUD_STORAGE", "1"), refused: []string{"USE_CLOUD_STORAGE"}},
		{name: "querystring auth yes", env: with(cloud, "AWS_QUERYSTRING_AUTH", "yes"), refused: []string{"AWS_QUERYSTRING_AUTH"}},
		{name: "overwrite lowercase", env: with(cloud, "AWS_S3_FILE_OVERWRITE", "false"), refused: []string{"AWS_S3_FILE_OVERWRITE"}},
		{name: "expiry zero", env: with(cloud, "AWS_QUERYSTRING_EXPIRE", "0"), refused: []string{"AWS_QUERYSTRING_EXPIRE"}},
		{name: "expiry over seven days", env: with(cloud, "AWS_QUERYSTRING_EXPIRE", "604801"), refused: []string{"AWS_QUERYSTRING_EXPIRE"}},
		{name: "expiry not a number", env: with(cloud, "AWS_QUERYSTRING_EXPIRE", "1h"), refused: []string{"AWS_QUERYSTRING_EXPIRE"}},
		{name: "cloud without keys", env: map[string]string{"USE_CLOUD_STORAGE": "True"}, refused: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}},
		{name: "local without media root", env: map[string]string{}, refused: []string{"MEDIA_ROOT"}},
		{name: "media url without slash", env: with(local, "MEDIA_URL", "/media"), refused: []string{"MEDIA_URL"}},
		{name: "signature v2", env: with(cloud, "AWS_S3_SIGNATURE_VERSION", "s3"), refused: []string{"AWS_S3_SIGNATURE_VERSION"}},
		{name: "absolute location", env: with(cloud, "AWS_LOCATION", "/media"), refused: []string{"AWS_LOCATION"}},
		{name: "location climbing out", env: with(cloud, "AWS_LOCATION", "media/.."), refused: []string{"AWS_LOCATION"}},
		{name: "location not normalised", env: with(cloud, "AWS_LOCATION", "./crm//media/"), refused: []string{"AWS_LOCATION"}},
		{name: "endpoint without scheme", env: with(cloud, "AWS_S3_ENDPOINT_URL", "0123abc.r2.cloudflarestorage.com"), refused: []string{"AWS_S3_ENDPOINT_URL"}},
		{name: "addressing style", env: with(cloud, "AWS_S3_ADDRESSING_STYLE", "host"), refused: []string{"AWS_S3_ADDRESSING_STYLE"}},
		{name: "url protocol", env: with(cloud, "AWS_S3_URL_PROTOCOL", "ftp:"), refused: []string{"AWS_S3_URL_PROTOCOL"}},
		{name: "absolute backup folder", env: with(cloud, "DBBACKUP_LOCATION", "/backups"), refused: []string{"DBBACKUP_LOCATION"}},
		{name: "escaping backup folder", env: with(local, "DBBACKUP_LOCATION", "../backups"), refused: []string{"DBBACKUP_LOCATION"}},
		{name: "keep none", env: with(local, "DBBACKUP_CLEANUP_KEEP", "0"), refused: []string{"DBBACKUP_CLEANUP_KEEP"}},
		{name: "unknown zone", env: with(local, "TIME_ZONE", "Bali/Kuta"), refused: []string{"TIME_ZONE"}},
		{name: "app env", env: with(local, "APP_ENV", "staging"), refused: []string{"APP_ENV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := with(tt.env, "DATABASE_URL", "postgres://app@db.example/app")
			cfg, werr := config.LoadFrom(env)
			var names []string
			if len(tt.refused) == 0 {
				names = urlNames
			}
			got := loadDjangoSettings(t, env, names...)

			if len(tt.refused) > 0 {
				var cerr *config.Error
				if !errors.As(werr, &cerr) {
					t.Fatalf("worker accepted the environment (err %v)", werr)
				}
				var workerProblems []string
				for _, p := range cerr.Problems {
					workerProblems = append(workerProblems, p.Error())
				}
				if w := problemVariables(workerProblems); !slices.Equal(w, tt.refused) {
					t.Errorf("worker refused %v, want %v: %v", w, tt.refused, werr)
				}
				if d := problemVariables(got.Problems); !slices.Equal(d, tt.refused) {
					t.Errorf("Django helper refused %v, want %v: %s", d, tt.refused, got.Error)
				}
				for _, secret := range []string{env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"]} {
					if secret != "" && (strings.Contains(werr.Error(), secret) || strings.Contains(got.Error, secret)) {
						t.Errorf("an error shows a secret")
					}
				}
				return
			}
			if werr != nil {
				t.Fatalf("worker refused: %v", werr)
			}
			if got.Error != "" {
				t.Fatalf("Django helper refused: %s", got.Error)
			}
			compareSettings(t, cfg, got)

			store, err := storage.New(t.Context(), cfg.Storage)
			if err != nil {
				t.Fatal(err)
			}
			presigned := bool(cfg.Storage.UseCloudStorage && cfg.Storage.QuerystringAuth) && cfg.Storage.CustomDomain == ""
			for _, name := range urlNames {
				u, err := store.URL(t.Context(), name)
				if err != nil {
					t.Fatalf("worker URL(%q): %v", name, err)
				}
				compareURLs(t, u, got.URLs[name], presigned)
			}
		})
	}
}

// urlNames are stored names whose URLs both sides must build alike: spaces,
// non-ASCII and the characters django-storages keeps unquoted.
var urlNames = []string{"passports/a b.pdf", "scans/Ñoño (1)~!*'.jpg", "invoices/2026/INV#7?.pdf"}

func compareSettings(t *testing.T, cfg config.Config, got djangoSettings) {
	t.Helper()
	w, b := cfg.Storage, cfg.Backup
	d := got.Settings
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	workerStyle := "path"
	if w.AddressingStyle == "virtual" {
		workerStyle = "virtual"
	}
	backend := "django.core.files.storage.FileSystemStorage"
	folder := strings.Trim(b.Folder, "/")
	backupLocation := w.MediaRoot + "/" + folder
	if w.UseCloudStorage {
		backend = "storages.backends.s3boto3.S3Boto3Storage"
		backupLocation = strings.TrimLeft(strings.TrimRight(w.Location, "/")+"/"+folder, "/")
	}
	zone := d.TimeZone
	if zone == "" {
		zone = "America/Chicago" // Django's default, left alone
	}
	checks := []struct {
		what           string
		worker, django any
	}{
		{"cloud storage", bool(w.UseCloudStorage), d.UseCloudStorage},
		{"default storage", backend, d.DefaultFileStorage},
		{"backup storage", backend, d.DBBackupStorage},
		{"backup location", backupLocation, d.DBBackupOptions["location"]},
		{"media root", w.MediaRoot, d.MediaRoot},
		{"media url", w.MediaURL, d.MediaURL},
		{"bucket", w.Bucket, d.Bucket},
		{"location", strings.TrimRight(w.Location, "/"), d.Location},
		{"endpoint", w.EndpointURL, deref(d.EndpointURL)},
		{"region", w.Region, d.Region},
		{"querystring auth", bool(w.QuerystringAuth), d.QuerystringAuth},
		{"expiry", w.QuerystringExpire, d.QuerystringExpire},
		{"custom domain", w.CustomDomain, deref(d.CustomDomain)},
		{"url protocol", w.URLProtocol, d.URLProtocol},
		{"addressing style", workerStyle, d.AddressingStyle},
		{"file overwrite", bool(w.FileOverwrite), d.FileOverwrite},
		{"backup time zone", b.TimeZone, zone},
		{"backup host name", b.Hostname, d.DBBackupHostname},
		{"backups kept", b.CleanupKeep, d.DBBackupKeep},
	}
	for _, c := range checks {
		if c.worker != c.django {
			t.Errorf("%s: worker %v, Django %v", c.what, c.worker, c.django)
		}
	}
	if w.SecretAccessKey != "" && deref(d.SecretAccessKey) != "***" {
		t.Errorf("the settings dump shows the secret key")
	}
}
