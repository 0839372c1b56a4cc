package config

import (
	"slices"
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars        map[string]string
		fields      []string
		concurrency int
		problem     string
	}{
		{vars: nil, concurrency: 16},
		{vars: map[string]string{"MIGRATE_FILE_FIELDS": "customers_customer.passport_file,public.invoices_invoice.pdf", "MIGRATE_CONCURRENCY": "4"},
			fields: []string{"customers_customer.passport_file", "public.invoices_invoice.pdf"}, concurrency: 4},
		{vars: map[string]string{"MIGRATE_FILE_FIELDS": "customers_customer"}, problem: `MIGRATE_FILE_FIELDS: "customers_customer" is not TABLE.COLUMN`},
		{vars: map[string]string{"MIGRATE_FILE_FIELDS": "a.b,.c"}, problem: `MIGRATE_FILE_FIELDS: ".c"`},
		{vars: map[string]string{"MIGRATE_CONCURRENCY": "0"}, problem: "MIGRATE_CONCURRENCY: 0 is outside 1..256"},
		{vars: map[string]string{"MIGRATE_CONCURRENCY": "many"}, problem: "MIGRATE_CONCURRENCY"},
	}
	for _, tt := range tests {
		cfg, err := LoadFrom(with(tt.vars))
		if tt.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("%v: error %v; want one saying %q", tt.vars, err, tt.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.vars, err)
			continue
		}
		if !slices.Equal(cfg.Migrate.Fields, tt.fields) || cfg.Migrate.Concurrency != tt.concurrency {
			t.Errorf("%v: Migrate = %+v; want fields %q, concurrency %d", tt.vars, cfg.Migrate, tt.fields, tt.concurrency)
		}
	}
}
