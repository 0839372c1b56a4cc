package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unicode"

	"github.com/riverqueue/river/rivertype"
	"gopkg.in/yaml.v3"
)

const (
	alertsFile     = "../../deploy/alerts.yml"
	alertTestsFile = "../../deploy/alerts_test.yml"
)

// Every metric deploy/alerts.yml names is one a running worker exports: a
// renamed metric would otherwise leave its alert silent forever.
func TestAlertRulesNameExportedMetrics(t *testing.T) {
	t.Parallel()
	exported := exportedMetrics(t)

	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v: want alert, expr, a severity label and a summary", r)
			}
			names := exprMetrics(r.Expr)
			if len(names) == 0 {
				t.Errorf("%s: no metric in %q", r.Alert, r.Expr)
			}
			for _, name := range names {
				if !exported[name] && name != "up" { // up is Prometheus' own, per scrape target
					t.Errorf("%s: %q names %s, which the worker does not export", r.Alert, r.Expr, name)
				}
			}
		}
	}
	// The operators' questions of the issue, each answered by a rule.
	for _, want := range []string{"WorkerBackupTooOld", "WorkerNoBackupOnRecord", "WorkerJobsDiscarded", "WorkerQueueBacklog", "WorkerNotReady"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("%s has no %s rule", alertsFile, want)
		}
	}

	// The promtool tests feed series the worker really exports.
	raw, err = os.ReadFile(alertTestsFile)
	if err != nil {
		t.Fatal(err)
	}
	var tests struct {
		Tests []struct {
			InputSeries []struct {
				Series string
			} `yaml:"input_series"`
		}
	}
	if err := yaml.Unmarshal(raw, &tests); err != nil {
		t.Fatalf("%s: %v", alertTestsFile, err)
	}
	for _, tt := range tests.Tests {
		for _, s := range tt.InputSeries {
			name, _, _ := strings.Cut(s.Series, "{")
			if !exported[name] && name != "up" {
				t.Errorf("%s feeds %s, which the worker does not export", alertTestsFile, name)
			}
		}
	}
}

// promtool checks the rules' syntax and runs deploy/alerts_test.yml, which
// says when each alert fires and when it stays quiet.
func TestAlertRulesPromtool(t *testing.T) {
	t.Parallel()
	promtool, err := filepath.Abs("../../bin/promtool")
	if err == nil {
		promtool, err = exec.LookPath(promtool)
	}
	if err != nil {
		promtool, err = exec.LookPath("promtool")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found in bin/ or on PATH: run scripts/deps.sh")
		}
		t.Skip("promtool not found in bin/ or on PATH: run scripts/deps.sh")
	}
	for _, args := range [][]string{
		{"check", "rules", filepath.Base(alertsFile)},
		{"test", "rules", filepath.Base(alertTestsFile)},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(alertsFile)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// exportedMetrics runs a worker with a panicked job, and a discarded job, a
// backup and a migration plan in river_job, so that every family has a
// sample, and returns the names of the series its /metrics serves.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b := setup(t)
	p, base := startWorker(t, baseEnv(t, b.dbURL))
	b.waitState(t, b.insert(t, panicArgs{}), rivertype.JobStateCancelled)
	_, err := b.pool.Exec(context.Background(), `
		INSERT INTO river_job (args, kind, max_attempts, queue, state, finalized_at, metadata) VALUES
		('{}', 'backup_db', 3, 'maintenance', 'completed', now(), '{"output": {"name": "backups/default-w1-2026-11-28-020000.psql.bin.gz"}}'),
		('{}', 'migrate_files', 5, 'storage', 'completed', now(), '{"output": {"dry_run": false, "fields": [], "batches": 0}}'),
		('{}', 'ocr_document', 5, 'ocr', 'available', NULL, '{}'),
		('{}', 'ocr_document', 5, 'ocr', 'discarded', now(), '{}')`)
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	// A worker that works jobs says it is ready, as /readyz does.
	if !strings.Contains(body, "\nworker_ready 1\n") {
		t.Errorf("a working worker does not export worker_ready 1:\n%s", body)
	}
	p.Signal(syscall.SIGTERM)
	p.Wait()

	names := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		fields := strings.Fields(line)
		if len(fields) != 4 || fields[0] != "#" || fields[1] != "TYPE" {
			continue
		}
		name := fields[2]
		names[name] = true
		switch fields[3] {
		case "histogram":
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case "summary":
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
	for _, want := range []string{"worker_ready", "worker_temp_bytes", "worker_jobs_discarded", "worker_backup_newest_age_seconds", "worker_migration_rows", "worker_queue_oldest_available_seconds"} {
		if !names[want] {
			t.Errorf("the worker's /metrics has no %s:\n%s", want, body)
		}
	}
	return names
}

// promqlWords are PromQL's keywords, aggregations and the functions the rules
// may use: every other identifier outside label matchers is a metric name.
var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "bool": true, "offset": true,
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "stddev": true, "stdvar": true,
	"topk": true, "bottomk": true, "quantile": true, "count_values": true, "group": true,
	"absent": true, "absent_over_time": true, "rate": true, "irate": true, "increase": true, "delta": true,
	"time": true, "vector": true, "scalar": true, "clamp_min": true, "clamp_max": true, "changes": true,
	"max_over_time": true, "min_over_time": true, "avg_over_time": true, "histogram_quantile": true,
}

// exprMetrics returns the metric names in a PromQL expression: identifiers
// outside {label matchers}, "strings", [durations] and the label lists of
// by/without/on/ignoring, that are not PromQL words.
func exprMetrics(expr string) []string {
	var names []string
	var prev string
	rs := []rune(expr)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == '{' || r == '[' || r == '"' || r == '\'':
			end := map[rune]rune{'{': '}', '[': ']', '"': '"', '\'': '\''}[r]
			for i++; i < len(rs) && rs[i] != end; i++ {
			}
			i++
		case r == '(' && (prev == "by" || prev == "without" || prev == "on" || prev == "ignoring" || prev == "group_left" || prev == "group_right"):
			for ; i < len(rs) && rs[i] != ')'; i++ {
			}
			i++
			prev = ""
		case unicode.IsLetter(r) || r == '_' || r == ':':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == ':') {
				j++
			}
			word := string(rs[i:j])
			if !promqlWords[word] {
				names = append(names, word)
			}
			prev, i = word, j
		case unicode.IsDigit(r):
			// Numbers and durations (5m) are not names.
			for i < len(rs) && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]) || rs[i] == '.') {
				i++
			}
		default:
			if !unicode.IsSpace(r) {
				prev = ""
			}
			i++
		}
	}
	return names
}

func TestExprMetrics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string
	}{
		{`max(worker_backup_newest_age_seconds) > 26 * 3600`, []string{"worker_backup_newest_age_seconds"}},
		{`max by (kind) (worker_jobs_discarded) > 0`, []string{"worker_jobs_discarded"}},
		{`worker_ready == 0 or up{job="worker"} == 0`, []string{"worker_ready", "up"}},
		{`sum without (instance) (rate(worker_jobs_failed_total{reason="panic"}[5m])) > 0.5`, []string{"worker_jobs_failed_total"}},
		{`a / on (queue) group_left b`, []string{"a", "b"}},
		{`absent(x{l="y(z)"}) unless count(y) offset 1h`, []string{"x", "y"}},
	}
	for _, tt := range tests {
		if got := exprMetrics(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("exprMetrics(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}
