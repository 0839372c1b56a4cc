# The worker and the enqueue CLI. Tesseract is linked through cgo; MuPDF comes
# statically with go-fitz. pg_dump/pg_restore must be at least the server's
# major version (15).
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
RUN apt-get update && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng libtesseract5 postgresql-client-15 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/worker --create-home worker
COPY --from=build /out/worker /out/enqueue /usr/local/bin/
# The MRZ model (BSD 3-Clause, notice beside it), where the worker looks by default.
COPY tessdata/ /usr/local/share/revisbali-worker/tessdata/
USER worker
ENV WORKER_HTTP_ADDR=0.0.0.0:9090 OMP_THREAD_LIMIT=1
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/worker"]
