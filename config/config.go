// Package config reads the worker's settings from the environment, under the
// same variable names as the Django settings, and validates them at start so
// that the worker never disagrees with Django about where files are.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Buckets used when AWS_STORAGE_BUCKET_NAME is unset, by APP_ENV.
const (
	DevBucket  = "crmrevisbalidev"
	ProdBucket = "crmrevisbali"
)

// MaxQuerystringExpire is the longest presigned URL lifetime R2 and SigV4
// accept: seven days.
const MaxQuerystringExpire = 7 * 24 * 3600

// Config is every setting the worker reads. Each area keeps its fields in
// its own struct.
type Config struct {
	AppEnv      string `env:"APP_ENV" envDefault:"dev"`
	DatabaseURL string `env:"DATABASE_URL"`

	Storage  Storage
	Migrate  Migrate
	Backup   Backup
	Temp     Temp
	Worker   Worker
	OCR      OCR
	Passport Passport
	UI       UI
}

// Storage holds the settings shared with django-storages and Django's
// FileSystemStorage.
type Storage struct {
	UseCloudStorage DjangoBool `env:"USE_CLOUD_STORAGE"`
	MediaRoot       string     `env:"MEDIA_ROOT"`
	MediaURL        string     `env:"MEDIA_URL" envDefault:"/media/"`

	AccessKeyID       string     `env:"AWS_ACCESS_KEY_ID"`
	SecretAccessKey   string     `env:"AWS_SECRET_ACCESS_KEY"`
	Bucket            string     `env:"AWS_STORAGE_BUCKET_NAME"`
	EndpointURL       string     `env:"AWS_S3_ENDPOINT_URL"`
	Region            string     `env:"AWS_S3_REGION_NAME" envDefault:"auto"`
	SignatureVersion  string     `env:"AWS_S3_SIGNATURE_VERSION" envDefault:"s3v4"`
	QuerystringAuth   DjangoBool `env:"AWS_QUERYSTRING_AUTH" envDefault:"True"`
	QuerystringExpire int        `env:"AWS_QUERYSTRING_EXPIRE" envDefault:"3600"`
	CustomDomain      string     `env:"AWS_S3_CUSTOM_DOMAIN"`
	URLProtocol       string     `env:"AWS_S3_URL_PROTOCOL" envDefault:"https:"`
	Location          string     `env:"AWS_LOCATION"`
	AddressingStyle   string     `env:"AWS_S3_ADDRESSING_STYLE"`
	FileOverwrite     DjangoBool `env:"AWS_S3_FILE_OVERWRITE" envDefault:"True"`
}

// DjangoBool is a setting Django reads as os.getenv(NAME) == 'True'. Only
// "True", "False" and unset are accepted: any other spelling would make the
// worker and Django disagree silently.
type DjangoBool bool

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *DjangoBool) UnmarshalText(text []byte) error {
	switch string(text) {
	case "True":
		*b = true
	case "False", "":
		*b = false
	default:
		return fmt.Errorf("%q is not True or False: Django compares the value to the exact string 'True', so %q would mean False to Django", text, text)
	}
	return nil
}

// Load reads the environment and validates the result, reporting every
// problem in one error.
func Load() (Config, error) {
	return parse(env.Options{})
}

// LoadFrom reads the given variables instead of the process environment.
func LoadFrom(vars map[string]string) (Config, error) {
	return parse(env.Options{Environment: vars})
}

// LoadDatabaseURL reads and checks DATABASE_URL alone, for a command that
// only reaches River's tables.
func LoadDatabaseURL(vars map[string]string) (string, error) {
	u := vars["DATABASE_URL"]
	if err := validateDatabaseURL(u); err != nil {
		return "", &Error{Problems: []error{err}}
	}
	return u, nil
}

// LoadStorage reads and checks what reaching the media files takes: the
// Storage settings, and APP_ENV, which picks the default bucket.
func LoadStorage(vars map[string]string) (Storage, error) {
	var cfg Config
	var problems []error
	opts := env.Options{Environment: vars}
	if err := env.ParseWithOptions(&cfg.Storage, opts); err != nil {
		problems = append(problems, envProblems(err)...)
	}
	cfg.AppEnv = vars["APP_ENV"]
	if cfg.AppEnv == "" {
		cfg.AppEnv = "dev"
	}
	cfg.fillDefaults()
	problems = append(problems, cfg.validateAppEnv()...)
	problems = append(problems, cfg.Storage.validate()...)
	if len(problems) > 0 {
		return Storage{}, &Error{Problems: problems}
	}
	return cfg.Storage, nil
}

// StorageVariables are the variables LoadStorage reads, sorted.
func StorageVariables() []string {
	names := []string{"APP_ENV"}
	walkVars(reflect.TypeFor[Storage](), func(_, key string) { names = append(names, key) })
	sort.Strings(names)
	return names
}

func parse(opts env.Options) (Config, error) {
	var cfg Config
	var problems []error
	if err := env.ParseWithOptions(&cfg, opts); err != nil {
		problems = append(problems, envProblems(err)...)
	}
	cfg.fillDefaults()
	cfg.Worker.fillDefaults()
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	return cfg, nil
}

// Error lists every invalid setting at once. Values of secrets never appear.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see each problem.
func (e *Error) Unwrap() []error { return e.Problems }

// envProblems turns the env library's field names into variable names.
func envProblems(err error) []error {
	names := fieldVars()
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []error{err}
	}
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			name := names[pe.Name]
			if name == "" {
				name = pe.Name
			}
			out = append(out, fmt.Errorf("%s: %w", name, pe.Err))
			continue
		}
		out = append(out, e)
	}
	return out
}

func (c *Config) fillDefaults() {
	if c.Temp.Dir == "" {
		c.Temp.Dir = filepath.Join(os.TempDir(), "revisbali-worker")
	}
	if c.Storage.Bucket == "" {
		if c.AppEnv == "prod" {
			c.Storage.Bucket = ProdBucket
		} else {
			c.Storage.Bucket = DevBucket
		}
	}
}

func (c *Config) validate() []error {
	problems := c.validateAppEnv()
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		problems = append(problems, err)
	}
	problems = append(problems, c.Storage.validate()...)
	problems = append(problems, c.Migrate.validate()...)
	problems = append(problems, c.Backup.validate()...)
	problems = append(problems, c.Worker.validate()...)
	problems = append(problems, c.OCR.validate()...)
	problems = append(problems, c.UI.validate()...)
	problems = append(problems, c.Passport.validate()...)
	return problems
}

func (c *Config) validateAppEnv() []error {
	if c.AppEnv != "dev" && c.AppEnv != "prod" {
		return []error{fmt.Errorf("APP_ENV: %q is not dev or prod", c.AppEnv)}
	}
	return nil
}

func validateDatabaseURL(s string) error {
	if s == "" {
		return errors.New("DATABASE_URL: not set; the worker needs the Django database")
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The URL may carry a password: never echo it.
		return errors.New("DATABASE_URL: not a postgres:// or postgresql:// URL")
	}
	return nil
}

func (s *Storage) validate() []error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if !s.UseCloudStorage && s.MediaRoot == "" {
		add("MEDIA_ROOT: not set; with USE_CLOUD_STORAGE=False files live under MEDIA_ROOT")
	}
	if s.MediaURL != "" && !strings.HasSuffix(s.MediaURL, "/") {
		add("MEDIA_URL: %q must end with a slash, as Django requires", s.MediaURL)
	}
	if s.SignatureVersion != "s3v4" {
		add("AWS_S3_SIGNATURE_VERSION: %q is not supported; R2 accepts only s3v4", s.SignatureVersion)
	}
	if s.QuerystringExpire < 1 || s.QuerystringExpire > MaxQuerystringExpire {
		add("AWS_QUERYSTRING_EXPIRE: %d seconds is outside 1..%d (7 days, the longest a presigned URL may live)", s.QuerystringExpire, MaxQuerystringExpire)
	}
	switch s.AddressingStyle {
	case "", "auto", "path", "virtual":
	default:
		add("AWS_S3_ADDRESSING_STYLE: %q is not path, virtual or auto", s.AddressingStyle)
	}
	if s.URLProtocol != "http:" && s.URLProtocol != "https:" {
		add("AWS_S3_URL_PROTOCOL: %q is not http: or https:", s.URLProtocol)
	}
	if problem := locationProblem(s.Location); problem != "" {
		add("AWS_LOCATION: %q %s", s.Location, problem)
	}
	if s.UseCloudStorage {
		if s.AccessKeyID == "" {
			add("AWS_ACCESS_KEY_ID: not set; required with USE_CLOUD_STORAGE=True")
		}
		if s.SecretAccessKey == "" {
			add("AWS_SECRET_ACCESS_KEY: not set; required with USE_CLOUD_STORAGE=True")
		}
		if s.EndpointURL != "" {
			if u, err := url.Parse(s.EndpointURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				add("AWS_S3_ENDPOINT_URL: %q is not an http(s) URL", s.EndpointURL)
			}
		}
	}
	return problems
}

// locationProblem says why AWS_LOCATION is not a clean relative path, or
// returns "". django-storages' safe_join refuses every name under a
// location that normalising changes ("media/..", "./media", "a//b"), so
// Django could store nothing there, while a bare join would make keys that
// S3 servers resolve elsewhere ("media/../secret/x" reaching the bucket
// root). A leading slash is refused too; trailing slashes are dropped, as
// safe_join drops them.
func locationProblem(location string) string {
	loc := strings.TrimRight(location, "/")
	switch {
	case loc == "":
		return ""
	case strings.HasPrefix(loc, "/"):
		return "may not start with a slash"
	case strings.ContainsRune(loc, 0):
		return "contains a NUL byte"
	case slices.Contains(strings.Split(loc, "/"), ".."), loc == ".", path.Clean(loc) != loc:
		return "is not a clean relative path (no \"..\", \".\" or empty components): django-storages refuses every name under it"
	}
	return ""
}
