#!/usr/bin/env bash
# System packages the tests use: Tesseract (OCR of scanned PDFs), LibreOffice (legacy .doc),
# a CJK font (PDFs that render, scans to OCR, Chinese in screenshots), Chromium (browser tests). Installed from Debian's packages when missing and
# running as root; otherwise the tests that need them skip with a reason. Under CI=true a
# package that cannot be installed is a failure.
set -u
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -qx chi_sim || need+=(tesseract-ocr-chi-sim)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
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
