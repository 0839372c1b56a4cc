package config

// Temp holds where the worker keeps scoped local copies of files.
type Temp struct {
	// Dir is the worker's temp folder; each process works in its own locked
	// run folder inside it, and sweeps dead runs' leftovers at start.
	Dir string `env:"WORKER_TMPDIR"`
}
