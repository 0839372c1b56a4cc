// Package chaos proves the worker under faults, load and hostile input, end
// to end: its tests build the real worker and enqueue binaries, run them as
// subprocesses against the test bed's Postgres and versitygw, and check what
// a user would: every job ends completed or with a clear error, nothing is
// lost or duplicated, no temp file is left, /readyz answers 200 again, and
// no secret reaches a log.
//
// Every test runs in `make test`, the load and fault tests at small sizes
// (sized). CHAOS=1, which `make chaos` sets, runs them at full size; they
// write their figures to the file named by CHAOS_REPORT for RELIABILITY.md.
package chaos
