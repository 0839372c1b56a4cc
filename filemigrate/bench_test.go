package filemigrate

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// BenchmarkMeasure sizes, as the migrate_files plan does, the files that
// bench_document.file names under MEASURE_BENCH_MEDIA in the database at
// MEASURE_BENCH_DATABASE_URL, both of which scripts/bench/ops.sh fills.
func BenchmarkMeasure(b *testing.B) {
	url, media := os.Getenv("MEASURE_BENCH_DATABASE_URL"), os.Getenv("MEASURE_BENCH_MEDIA")
	if url == "" || media == "" {
		b.Skip("MEASURE_BENCH_DATABASE_URL or MEASURE_BENCH_MEDIA is not set: run scripts/bench/ops.sh")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	root, err := os.OpenRoot(media)
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	plan, err := PlanBatches(ctx, pool, []Field{{Table: "bench_document", Column: "file"}}, 0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := plan.Measure(ctx, pool, root, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(plan.Bytes()), "bytes")
}
