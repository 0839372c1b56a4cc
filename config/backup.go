package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Backup holds the settings of the database backups, under django-dbbackup's
// names where it has one so that one .env serves both.
type Backup struct {
	// SourceURL is the database to back up when it differs from
	// DATABASE_URL (read it through Config.BackupDatabaseURL).
	SourceURL string `env:"BACKUP_DATABASE_URL"`
	// Folder is the folder of the backups inside the storage.
	Folder string `env:"DBBACKUP_LOCATION" envDefault:"backups/"`
	// Hostname is the server name written into backup names; empty means
	// this machine's host name, as django-dbbackup does.
	Hostname string `env:"DBBACKUP_HOSTNAME"`
	// TimeZone is Django's TIME_ZONE: backup names and the schedule use it.
	TimeZone string `env:"TIME_ZONE" envDefault:"America/Chicago"`
	// Compress gzips the dump and appends .gz to the name.
	Compress DjangoBool `env:"DBBACKUP_COMPRESS" envDefault:"True"`
	// CompressLevel is the gzip level, 1 (fastest) to 9 (smallest).
	CompressLevel int `env:"BACKUP_COMPRESS_LEVEL" envDefault:"1"`
	// GPGPublicKey is an ASCII-armoured OpenPGP public key; when set,
	// backups are encrypted to it and get .gpg appended.
	GPGPublicKey string `env:"DBBACKUP_GPG_PUBLIC_KEY"`
	// GPGPrivateKey is the ASCII-armoured private key that restores .gpg
	// backups; GPGPassphrase unlocks it when it is protected.
	GPGPrivateKey string `env:"DBBACKUP_GPG_PRIVATE_KEY"`
	GPGPassphrase string `env:"DBBACKUP_GPG_PASSPHRASE"`
	// CleanupKeep is how many matching backups pruning keeps.
	CleanupKeep int `env:"DBBACKUP_CLEANUP_KEEP" envDefault:"10"`
	// Schedule is the nightly backup's cron line (5 fields) in TIME_ZONE,
	// or ScheduleOff.
	Schedule string `env:"BACKUP_SCHEDULE" envDefault:"0 2 * * *"`
	// CatchUp lets the leader back up at start and hourly when a scheduled
	// run was missed, or when there is no backup at all (a first start on
	// an empty folder runs a full pg_dump at once).
	CatchUp DjangoBool `env:"BACKUP_CATCH_UP" envDefault:"True"`
}

// ScheduleOff as BACKUP_SCHEDULE: this worker makes no scheduled backup and
// no catch-up (backups elsewhere, or a throwaway test database); backups on
// demand still run.
const ScheduleOff = "off"

// BackupDatabaseURL is the database the backups dump: BACKUP_DATABASE_URL,
// else DATABASE_URL.
func (c *Config) BackupDatabaseURL() string {
	if c.Backup.SourceURL != "" {
		return c.Backup.SourceURL
	}
	return c.DatabaseURL
}

func (b *Backup) validate() []error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if b.SourceURL != "" {
		if u, err := url.Parse(b.SourceURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			// The URL may carry a password: never echo it.
			add("BACKUP_DATABASE_URL: not a postgres:// or postgresql:// URL")
		}
	}
	if strings.HasPrefix(b.Folder, "/") || strings.Contains("/"+b.Folder+"/", "/../") {
		add("DBBACKUP_LOCATION: %q must be a relative folder inside the storage", b.Folder)
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil || b.TimeZone == "" {
		add("TIME_ZONE: %q is not a known time zone", b.TimeZone)
	}
	if b.CompressLevel < 1 || b.CompressLevel > 9 {
		add("BACKUP_COMPRESS_LEVEL: %d is outside 1..9", b.CompressLevel)
	}
	if b.GPGPublicKey != "" && !strings.Contains(b.GPGPublicKey, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		add("DBBACKUP_GPG_PUBLIC_KEY: not an ASCII-armoured OpenPGP public key (gpg --armor --export)")
	}
	if b.GPGPrivateKey != "" && !strings.Contains(b.GPGPrivateKey, "-----BEGIN PGP PRIVATE KEY BLOCK-----") {
		// Never echo the value: it is a secret key.
		add("DBBACKUP_GPG_PRIVATE_KEY: not an ASCII-armoured OpenPGP private key (gpg --armor --export-secret-keys)")
	}
	if b.CleanupKeep < 1 {
		add("DBBACKUP_CLEANUP_KEEP: %d must be at least 1 (pruning would delete the backup just made)", b.CleanupKeep)
	}
	if b.Schedule == ScheduleOff {
		return problems
	}
	if _, err := cron.ParseStandard(b.Schedule); err != nil {
		add("BACKUP_SCHEDULE: %q is not a 5-field cron line: %v", b.Schedule, err)
	}
	return problems
}
