package backup

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/revisbali/worker/internal/testbed"
)

func TestCompareClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		client string
		server int
		ok     bool
	}{
		{"pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 150018, true},
		{"pg_dump (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+1)", 150018, true},
		{"pg_dump (PostgreSQL) 15.2", 160004, false},
		{"pg_dump (PostgreSQL) 17.0", 170002, true},
		{"pg_dump (PostgreSQL) 14.13", 150018, false},
		{"pg_dump (PostgreSQL) 9.6.24", 90624, true},
		{"pg_dump (PostgreSQL) 9.5.25", 90624, false},
		{"pg_dump (PostgreSQL) 10.23", 90624, true},
		{"pg_dump (PostgreSQL) 18devel", 180000, true},
	}
	for _, tt := range tests {
		err := compareClient(tt.client, tt.server)
		if (err == nil) != tt.ok {
			t.Errorf("%q against %d: %v, want ok=%v", tt.client, tt.server, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrClientTooOld) {
			t.Errorf("%q against %d: %v is not ErrClientTooOld", tt.client, tt.server, err)
		}
	}
	if err := compareClient("pg_dump 15", 150018); err == nil || errors.Is(err, ErrClientTooOld) {
		t.Errorf("unreadable version: %v", err)
	}
	err := compareClient("pg_dump (PostgreSQL) 15.2", 160004)
	if want := "install postgresql-client-16 (the Docker image: --build-arg PG_MAJOR=16)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("message %v does not say %q", err, want)
	}
}

// The test bed's pg_dump and server: the check passes and reports both.
func TestCheckClientAgainstServer(t *testing.T) {
	t.Parallel()
	client, server, err := CheckClient(context.Background(), testbed.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if client == "" || server == "" {
		t.Errorf("versions not reported: %q %q", client, server)
	}
}
