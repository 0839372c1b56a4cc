# The worker and the enqueue CLI. Tesseract is linked through cgo; MuPDF comes
# statically with go-fitz.
#
# Build arguments (README, "The container"; internal/dockerlint checks that each
# is documented there):
#   PG_MAJOR   major version of pg_dump, pg_restore and psql: at least the
#              database server's (the worker checks at start), and at most the
#              one of the web host's dbrestore. Default 15, the compose file's
#              server and Debian 12's own; any other comes from
#              apt.postgresql.org.
#   OCR_LANGS  Tesseract languages installed besides eng, space-separated
#              (tesseract-ocr-LANG package suffixes). Default ind (Indonesian).
#
# Bases are pinned to a Go minor and a Debian release (bookworm, the release
# the tests run on), never to latest.
FROM golang:1.26-bookworm AS build
# Built with Go 1.27.3 (fetched by the go command): see SECURITY.md.
ENV GOTOOLCHAIN=go1.27.3
RUN apt-get update && apt-get install -y --no-install-recommends libtesseract-dev libleptonica-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/worker ./cmd/worker && go build -trimpath -o /out/enqueue ./cmd/enqueue

FROM debian:bookworm-slim
ARG PG_MAJOR=15
ARG OCR_LANGS=ind
# Debian 12 ships PostgreSQL 15 only; postgresql-common carries the
# apt.postgresql.org key and the script that adds that repository.
RUN set -eu; apt-get update; \
    if [ "$PG_MAJOR" != 15 ]; then \
      apt-get install -y --no-install-recommends postgresql-common ca-certificates; \
      /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; \
      apt-get update; \
    fi; \
    apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng $(for l in $OCR_LANGS; do printf 'tesseract-ocr-%s ' "$l"; done) \
      libtesseract5 postgresql-client-$PG_MAJOR ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/worker --create-home worker
COPY --from=build /out/worker /out/enqueue /usr/local/bin/
# The MRZ model (BSD 3-Clause, notice beside it), where the worker looks by default.
COPY tessdata/ /usr/local/share/revisbali-worker/tessdata/
USER worker
ENV WORKER_HTTP_ADDR=0.0.0.0:9090 OMP_THREAD_LIMIT=1
EXPOSE 9090
# The image has no curl: the worker asks its own /readyz (storage, database).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["/usr/local/bin/worker", "health"]
ENTRYPOINT ["/usr/local/bin/worker"]
