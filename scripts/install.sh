#!/usr/bin/env bash
# Installs what cleantrace needs on a Debian/Ubuntu machine, skipping what is already there:
# system packages (Chromium, Xvfb, xdotool, bubblewrap, fonts), a venv in .venv, the package.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(chromium xvfb xdotool x11-utils xauth bubblewrap fonts-dejavu-core ca-certificates tesseract-ocr)
APT_PACKAGES+=(x11vnc novnc nginx)  # the volunteer station (cleantrace station / record; nginx: TLS in front)
APT_PACKAGES+=(fonts-liberation2 fonts-noto-core fonts-noto-cjk)  # appearances: system fonts, CJK fake data
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "error: cleantrace needs Python >= 3.11 (found $(python3 --version 2>&1)) — install python3.11" >&2
  exit 1
}
python3 -c 'import ensurepip, venv' 2>/dev/null || APT_PACKAGES+=(python3-venv)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.cleantrace-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "installing the cleantrace package and its Python dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.cleantrace-* && touch "$stamp"
fi
