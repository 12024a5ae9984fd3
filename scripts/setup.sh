#!/usr/bin/env bash
# Installs every build and test dependency from Debian's archive, then builds
# redact (CMake, Release) into build/. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git
  libpoppler-cpp-dev libpoppler-private-dev poppler-utils
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd
  libre2-dev libboost-program-options-dev libqpdf-dev qpdf
  libtomlplusplus-dev nlohmann-json3-dev libssl-dev zlib1g-dev libzip-dev libxml2-dev libgmime-3.0-dev libicu-dev libytnef0-dev libreofficekit-dev libcpp-httplib-dev
  libcairo2-dev libpango1.0-dev  # a message's text is typeset to PDF with Pango and Cairo
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-fitz imagemagick time
  mupdf-tools  # scripts/bench.sh compares with MuPDF's own redaction
  libreoffice-writer-nogui libreoffice-calc-nogui  # Office drafts are printed to PDF by LibreOffice
  chromium  # the reviewer report is checked in a real browser
  icc-profiles-free  # the sRGB profile of a release's PDF/A output intent
)

if [[ ${REDACT_SKIP_APT:-0} != 1 ]]; then
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${REDACT_CMAKE_ARGS:-}
cmake --build build -j "$(nproc)"
