#!/usr/bin/env bash
# make demo: the worker end to end on this machine. Starts the test bed's
# private PostgreSQL (and versitygw with CLOUD=1), runs the worker, enqueues
# OCR of the bundled scan and PDF through the enqueue CLI, prints the results
# with their preview URLs, and stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
demo="$root/.demo"

if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  exec scripts/testbed.sh run "$0" "$@"
fi

rm -rf "$demo"; mkdir -p "$demo/media/demo" "$demo/tmp"
echo "== building the worker and the enqueue CLI"
go build -o "$demo/worker" ./cmd/worker
go build -o "$demo/enqueue" ./cmd/enqueue

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export APP_ENV=dev
export DATABASE_URL="$TEST_DATABASE_URL"
export MEDIA_ROOT="$demo/media"
export WORKER_TMPDIR="$demo/tmp"
export WORKER_HTTP_ADDR="127.0.0.1:$port"
export OMP_THREAD_LIMIT=1
export PASSPORT_TESSDATA_DIR="$root/tessdata"

files=(demo/invoice-scan.png demo/sponsor-letter.pdf)
if [[ "${CLOUD:-}" == 1 ]]; then
  export USE_CLOUD_STORAGE=True
  export AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
  export AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" AWS_S3_ENDPOINT_URL="$TEST_S3_ENDPOINT"
  echo "== storage: the bucket $AWS_STORAGE_BUCKET_NAME on versitygw ($AWS_S3_ENDPOINT_URL)"
  for f in "${files[@]}"; do
    curl -sf -o /dev/null -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:auto:s3" \
      --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" --data-binary "@$f" "$AWS_S3_ENDPOINT_URL/$AWS_STORAGE_BUCKET_NAME/$f"
  done
else
  export USE_CLOUD_STORAGE=False
  echo "== storage: local disk under $MEDIA_ROOT"
  cp "${files[@]}" "$MEDIA_ROOT/demo/"
fi

"$demo/worker" >"$demo/worker.log" 2>&1 &
worker=$!
trap 'kill -TERM $worker 2>/dev/null || true; wait $worker 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf -o /dev/null "http://$WORKER_HTTP_ADDR/readyz" && break
  kill -0 $worker 2>/dev/null || { echo "the worker stopped:"; cat "$demo/worker.log"; exit 1; }
  sleep 0.2
done
echo "== worker ready on http://$WORKER_HTTP_ADDR (/livez /readyz /metrics)"

for f in "${files[@]}"; do
  echo
  echo "== enqueue ocr $f --wait --json"
  "$demo/enqueue" ocr "$f" --wait --json >"$demo/result.json"
  /usr/bin/python3 - "$demo/result.json" <<'PY'
import json, sys, textwrap, urllib.request
r = json.load(open(sys.argv[1]))
out = r["output"]
print(f'job {r["id"]} {r["kind"]}: {r["state"]}')
for p in out["pages"]:
    print(f'  page {p["number"]}: source={p["source"]} confidence={p["confidence"]}')
print("  text:")
lines = [l for l in out["text"].splitlines() if l.strip()]
print(textwrap.indent("\n".join(lines)[:700], "    | "))
prev = out.get("preview") or {}
print(f'  preview: {prev.get("name")}')
print(f'  preview URL: {prev.get("url")}')
url = prev.get("url", "")
if url.startswith("http"):
    with urllib.request.urlopen(url) as resp:
        print(f'  GET preview URL: {resp.status}, {len(resp.read())} bytes of {resp.headers["Content-Type"]}')
PY
done
if [[ "${USE_CLOUD_STORAGE}" == False ]]; then
  echo
  echo "== previews on disk"
  find "$MEDIA_ROOT/previews" -type f -printf '  %P (%s bytes)\n'
fi
echo
echo "== stopping the worker (SIGTERM)"
