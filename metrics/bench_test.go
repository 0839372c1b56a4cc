package metrics

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkScrape gathers every metric, the river_job queries included, from
// the database at OPS_BENCH_DATABASE_URL, which scripts/bench/ops.sh fills
// like a busy deployment's.
func BenchmarkScrape(b *testing.B) {
	url := os.Getenv("OPS_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("OPS_BENCH_DATABASE_URL is not set: run scripts/bench/ops.sh")
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	m := New(pool, slog.New(slog.DiscardHandler))
	for b.Loop() {
		families, err := m.registry.Gather()
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range families {
			// A scrape whose queries failed would be fast and wrong.
			if f.GetName() == "worker_queue_scrape_ok" && f.GetMetric()[0].GetGauge().GetValue() != 1 {
				b.Fatal("the river_job queries failed")
			}
		}
	}
}
