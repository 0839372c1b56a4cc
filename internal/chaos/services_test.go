package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revisbali/worker/internal/testbed"
)

// The fault tests stop and kill servers; they get their own, so that the
// rest of `make test`, sharing the test bed's, never notices.

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pgServer is a private PostgreSQL cluster, run as the postgres user as
// scripts/testbed.sh runs its own.
type pgServer struct {
	t    *testing.T
	data string
	port int
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	testbed.Require(t, "TEST_PG_BIN") // the test bed's binaries are on PATH
	parent, err := os.MkdirTemp("", "chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &pgServer{t: t, data: filepath.Join(parent, "data"), port: freePort(t)}
	if err := os.Mkdir(s.data, 0o700); err != nil {
		t.Fatal(err)
	}
	run(t, "chown", "postgres:", s.data)
	run(t, "runuser", "-u", "postgres", "--", "initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	conf := fmt.Sprintf("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\nmax_connections = 200\nfsync = off\n", s.port)
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(conf)
	f.Close()
	s.start()
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", "pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop").Run()
		_ = os.RemoveAll(parent)
	})
	return s
}

func (s *pgServer) start() {
	s.t.Helper()
	run(s.t, "runuser", "-u", "postgres", "--", "pg_ctl", "-D", s.data, "-l", filepath.Join(s.data, "server.log"), "-w", "-t", "60", "start")
}

// stop shuts the server down as a crash or an operator would: fast
// disconnects every client, immediate does not even checkpoint.
func (s *pgServer) stop(mode string) {
	s.t.Helper()
	run(s.t, "runuser", "-u", "postgres", "--", "pg_ctl", "-D", s.data, "-m", mode, "-w", "stop")
}

func (s *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// fill creates a table of n rows of text in db, so that a dump takes a
// moment and a restore has something to count.
func (s *pgServer) fill(db string, n int) {
	s.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.url(db))
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS crm_document (id bigserial PRIMARY KEY, title text NOT NULL, file varchar(100) NOT NULL);
		INSERT INTO crm_document (title, file) SELECT md5(i::text) || repeat(' filler', 20), 'scans/' || i || '.pdf' FROM generate_series(1, `+strconv.Itoa(n)+`) i`)
	if err != nil {
		s.t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// gateway is a private versitygw serving one bucket from a folder that
// outlives its restarts.
type gateway struct {
	t      *testing.T
	dir    string
	port   int
	cmd    *exec.Cmd
	access string
	secret string
}

func startGateway(t *testing.T) *gateway {
	t.Helper()
	testbed.S3Server(t) // the binary is there when the test bed is
	bin, err := filepath.Abs("../../bin/versitygw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("versitygw: %v (scripts/testbed.sh needs it too)", err)
	}
	g := &gateway{t: t, dir: t.TempDir(), port: freePort(t), access: "chaos-access", secret: randomSecret("gw")}
	outputs.secret("the private gateway's secret key", g.secret)
	g.start(bin)
	t.Cleanup(g.kill)
	run(t, "curl", "-sf", "-o", "/dev/null", "-X", "PUT", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
		"--aws-sigv4", "aws:amz:auto:s3", "--user", g.access+":"+g.secret, g.endpoint()+"/media")
	return g
}

func (g *gateway) start(bin string) {
	g.t.Helper()
	g.cmd = exec.Command(bin, "--port", fmt.Sprintf("127.0.0.1:%d", g.port), "--access", g.access, "--secret", g.secret, "--region", "auto", "posix", g.dir)
	if err := g.cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(g.endpoint()); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	g.t.Fatal("versitygw did not answer within 30s")
}

func (g *gateway) restart() {
	g.t.Helper()
	g.start(g.cmd.Path)
}

// kill stops the gateway as a crash would.
func (g *gateway) kill() {
	if g.cmd != nil && g.cmd.ProcessState == nil {
		_ = g.cmd.Process.Kill()
		_ = g.cmd.Wait()
	}
}

func (g *gateway) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", g.port) }

// env is what a worker needs to use the gateway's bucket "media".
func (g *gateway) env() env {
	return env{
		"USE_CLOUD_STORAGE":       "True",
		"AWS_ACCESS_KEY_ID":       g.access,
		"AWS_SECRET_ACCESS_KEY":   g.secret,
		"AWS_STORAGE_BUCKET_NAME": "media",
		"AWS_S3_ENDPOINT_URL":     g.endpoint(),
	}
}
