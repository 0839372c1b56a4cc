#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need on a fresh
# machine: Debian packages, versitygw into the project's bin/ folder, and
# playwright-core (which drives Debian's chromium in the UI's browser test)
# into bin/playwright.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(tesseract-ocr tesseract-ocr-eng libtesseract-dev libleptonica-dev
  python3-django python3-django-storages python3-django-storages-boto3 python3-boto3 python3-psycopg2
  python3-djangorestframework python3-pil python3-dotenv python3-venv python3-pip
  fonts-ocr-b gnupg rclone curl iso-codes time fonts-dejavu-core qpdf
  chromium)
# node and npm may come from elsewhere (NodeSource's nodejs carries npm).
command -v node >/dev/null || debs+=(nodejs)
command -v npm >/dev/null || debs+=(npm)
if [[ "${WITH_BENCH_TOOLS:-}" == 1 ]]; then debs+=(ocrmypdf jq bc); fi

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

VERSITYGW_VERSION=v1.8.0
if [[ ! -x bin/versitygw ]]; then
  echo "deps: building versitygw $VERSITYGW_VERSION into bin/"
  GOBIN="$PWD/bin" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

PLAYWRIGHT_VERSION=1.65.2
pw=bin/playwright/node_modules/playwright-core/package.json
if [[ ! -f $pw ]] || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pw"; then
  echo "deps: installing playwright-core $PLAYWRIGHT_VERSION into bin/playwright"
  mkdir -p bin/playwright
  npm install --silent --no-audit --no-fund --prefix bin/playwright "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

# promtool checks and unit-tests deploy/alerts.yml. Only the binary is taken
# from Debian's prometheus package: installing the package would also start a
# Prometheus server on hosts that run systemd.
if [[ ! -x bin/promtool ]]; then
  echo "deps: extracting promtool from Debian's prometheus package into bin/"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; })
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  install -m 0755 "$tmp/x/usr/bin/promtool" bin/promtool
  rm -rf "$tmp"
fi
