package config

import (
	"strings"
	"testing"
)

func TestBackupDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := LoadFrom(base())
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Backup
	if b.Folder != "backups/" || b.TimeZone != "America/Chicago" || !bool(b.Compress) || b.CleanupKeep != 10 ||
		b.Schedule != "0 2 * * *" || b.CompressLevel != 1 || b.Hostname != "" {
		t.Errorf("defaults: %+v", b)
	}
	if got := cfg.BackupDatabaseURL(); got != base()["DATABASE_URL"] {
		t.Errorf("BackupDatabaseURL without BACKUP_DATABASE_URL = %q, want DATABASE_URL", got)
	}
	cfg, err = LoadFrom(with(map[string]string{"BACKUP_DATABASE_URL": "postgres://backup@db2/app"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.BackupDatabaseURL(); got != "postgres://backup@db2/app" {
		t.Errorf("BackupDatabaseURL = %q", got)
	}
}

func TestBackupInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars    map[string]string
		wantVar string
		secret  string
	}{
		{map[string]string{"BACKUP_DATABASE_URL": "mysql://u:hunter2@h/db"}, "BACKUP_DATABASE_URL", "hunter2"},
		{map[string]string{"DBBACKUP_LOCATION": "/abs"}, "DBBACKUP_LOCATION", ""},
		{map[string]string{"DBBACKUP_LOCATION": "a/../../b"}, "DBBACKUP_LOCATION", ""},
		{map[string]string{"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE", ""},
		{map[string]string{"DBBACKUP_COMPRESS": "true"}, "DBBACKUP_COMPRESS", ""},
		{map[string]string{"BACKUP_COMPRESS_LEVEL": "12"}, "BACKUP_COMPRESS_LEVEL", ""},
		{map[string]string{"DBBACKUP_GPG_PUBLIC_KEY": "ABCDEF0123"}, "DBBACKUP_GPG_PUBLIC_KEY", ""},
		{map[string]string{"DBBACKUP_GPG_PRIVATE_KEY": "my-private-key-material"}, "DBBACKUP_GPG_PRIVATE_KEY", "my-private-key-material"},
		{map[string]string{"DBBACKUP_CLEANUP_KEEP": "0"}, "DBBACKUP_CLEANUP_KEEP", ""},
		{map[string]string{"BACKUP_SCHEDULE": "every night"}, "BACKUP_SCHEDULE", ""},
		{map[string]string{"BACKUP_SCHEDULE": "0 2 * *"}, "BACKUP_SCHEDULE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.wantVar, func(t *testing.T) {
			_, err := LoadFrom(with(tt.vars))
			if err == nil {
				t.Fatalf("%v accepted", tt.vars)
			}
			if !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("error does not name %s: %v", tt.wantVar, err)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
}
