package backup

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrClientTooOld reports a pg_dump older than the server it must dump:
// pg_dump refuses a server of a newer major version, so every backup would
// fail. Install the client of the server's major (Docker: PG_MAJOR).
var ErrClientTooOld = errors.New("pg_dump is older than the database server")

// CheckClient compares the major version of the pg_dump on PATH with the
// server's (of BACKUP_DATABASE_URL, else DATABASE_URL). It returns both
// versions, and ErrClientTooOld when the client is older. The daemon calls
// it at start so that a mismatched image fails at once, not at 2 a.m.
func CheckClient(ctx context.Context, databaseURL string) (client, server string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pg_dump", "--version").Output()
	if err != nil {
		return "", "", fmt.Errorf("backup: pg_dump --version: %w (install the PostgreSQL client of the server's major version)", err)
	}
	client = strings.TrimSpace(string(out))
	conn, err := parseConn(databaseURL)
	if err != nil {
		return client, "", err
	}
	db, err := pgx.Connect(ctx, conn.pgxURL())
	if err != nil {
		// pgx's error may quote the URL; the password is redacted.
		return client, "", fmt.Errorf("backup: connect to read the server version: %s", conn.redact(err.Error()))
	}
	defer db.Close(context.WithoutCancel(ctx))
	var num int
	if err := db.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return client, "", fmt.Errorf("backup: read the server version: %w", err)
	}
	_, server = serverMajor(num)
	return client, server, compareClient(client, num)
}

var clientVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// majorKey orders major versions: 1500 for 15, 906 for 9.6 (before 10 the
// major had two parts).
func majorKey(major, minor int) int {
	if major >= 10 {
		return major * 100
	}
	return major*100 + minor
}

// serverMajor splits server_version_num (150018, 90624) into its major.
func serverMajor(num int) (key int, name string) {
	if num >= 100000 {
		return majorKey(num/10000, 0), strconv.Itoa(num / 10000)
	}
	return majorKey(num/10000, num/100%100), fmt.Sprintf("%d.%d", num/10000, num/100%100)
}

// compareClient checks pg_dump --version's output against the server's
// server_version_num.
func compareClient(versionOutput string, serverNum int) error {
	m := clientVersion.FindStringSubmatch(versionOutput)
	if m == nil {
		return fmt.Errorf("backup: cannot read a version in pg_dump --version's output %q", versionOutput)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	server, name := serverMajor(serverNum)
	if majorKey(major, minor) < server {
		return fmt.Errorf("%w: %s cannot dump a PostgreSQL %s server; install postgresql-client-%s (the Docker image: --build-arg PG_MAJOR=%s)",
			ErrClientTooOld, strings.TrimSpace(versionOutput), name, name, name)
	}
	return nil
}
