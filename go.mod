module github.com/revisbali/worker

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	github.com/jackc/pgx/v5 v5.13.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/ebitengine/purego v0.8.4 // indirect
	github.com/gen2brain/go-fitz v1.24.15 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jupiterrider/ffi v0.5.0 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/otiai10/gosseract/v2 v2.4.1 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
