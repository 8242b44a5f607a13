#!/usr/bin/env bash
# System packages and services the tests use: Tesseract (OCR of scanned PDFs), LibreOffice (legacy .doc),
# a CJK font (PDFs that render, scans to OCR, Chinese in screenshots), Chromium (browser tests),
# docker-compose (validates compose.yaml without a container engine). Installed from Debian's packages when missing and
# running as root; otherwise the tests that need them skip with a reason. Under CI=true a
# package that cannot be installed is a failure.
set -u
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -qx chi_sim || need+=(tesseract-ocr-chi-sim)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)     # checks compose.yaml against the Compose spec
status=0
services() {
  # PostgreSQL (127.0.0.1:5432, trust, database test) and Redis (127.0.0.1:6379) for the store and
  # the distributed crawl. These machines run them already; a fresh one gets them from Debian.
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    apt-get install -y -qq --no-install-recommends postgresql >>/tmp/fiscal-extract-apt.log 2>&1 || return 1
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || return 1
    su postgres -c "createdb test" 2>/dev/null || true
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    apt-get install -y -qq --no-install-recommends redis-server >>/tmp/fiscal-extract-apt.log 2>&1 || return 1
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || return 1
  fi
}
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null || ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    apt-get update -qq >/dev/null 2>&1 || true
    services || { echo "could not start PostgreSQL/Redis; see /tmp/fiscal-extract-apt.log" >&2; status=1; }
  fi
fi
[ ${#need[@]} -eq 0 ] && { [ "${CI:-}" = "true" ] && exit $status; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  if apt-get install -y -qq --no-install-recommends "${need[@]}" >/tmp/fiscal-extract-apt.log 2>&1; then
    exit 0
  fi
  echo "apt-get install failed; see /tmp/fiscal-extract-apt.log" >&2
else
  echo "not root: cannot install ${need[*]}; the tests that need them will skip" >&2
fi
[ "${CI:-}" = "true" ] && exit 1
exit 0
