package config

import (
	"fmt"
	"strings"
	"time"
)

// MigrateConcurrencyDefault is how many files one migrate_files_batch job
// copies at once.
const MigrateConcurrencyDefault = 16

// Migrate holds the settings of the media migration (migrate_files jobs).
type Migrate struct {
	// Fields names the file columns as TABLE.COLUMN or SCHEMA.TABLE.COLUMN,
	// separated by commas; when empty, the columns are discovered.
	Fields []string `env:"MIGRATE_FILE_FIELDS" envSeparator:","`
	// Concurrency bounds the files copied at once by one batch.
	Concurrency int `env:"MIGRATE_CONCURRENCY" envDefault:"16"`
	// BatchTimeout is how long one attempt of a batch may run. A batch
	// whose worker died is worked again once it has passed (River's rescuer
	// honours it), so it bounds how long a killed batch holds its files
	// back; a batch cut short by it is retried and skips what it stored.
	BatchTimeout time.Duration `env:"MIGRATE_BATCH_TIMEOUT" envDefault:"5m"`
}

func (m *Migrate) validate() []error {
	var problems []error
	if m.Concurrency < 1 || m.Concurrency > 256 {
		problems = append(problems, fmt.Errorf("MIGRATE_CONCURRENCY: %d is outside 1..256", m.Concurrency))
	}
	if m.BatchTimeout < time.Second || m.BatchTimeout > 2*time.Hour {
		problems = append(problems, fmt.Errorf("MIGRATE_BATCH_TIMEOUT: %s is outside 1s..2h", m.BatchTimeout))
	}
	for _, f := range m.Fields {
		f = strings.TrimSpace(f)
		parts := strings.Split(f, ".")
		ok := len(parts) == 2 || len(parts) == 3
		for _, p := range parts {
			ok = ok && p != ""
		}
		if !ok {
			problems = append(problems, fmt.Errorf("MIGRATE_FILE_FIELDS: %q is not TABLE.COLUMN or SCHEMA.TABLE.COLUMN", f))
		}
	}
	return problems
}
