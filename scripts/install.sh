#!/usr/bin/env bash
# Installs what cleantrace needs on a Debian/Ubuntu machine, skipping what is already there:
# system packages (Chromium, Xvfb, xdotool, bubblewrap, fonts), a venv in .venv, the package.
# Without options the package gets only what recording needs; --dev adds the export, fleet and
# test extras (what `pytest` needs); CLEANTRACE_EXTRAS=export,fleet picks extras by name.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${CLEANTRACE_EXTRAS:-}"
for arg in "$@"; do
  case "$arg" in
    --dev) extras="dev" ;;
    *) echo "error: unknown option $arg — use --dev (or nothing)" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(chromium xvfb xdotool x11-utils xauth bubblewrap fonts-dejavu-core ca-certificates tesseract-ocr)
APT_PACKAGES+=(x11vnc novnc nginx)  # the volunteer station (cleantrace station / record; nginx: TLS in front)
APT_PACKAGES+=(fonts-liberation2 fonts-noto-core fonts-noto-cjk)  # appearances: system fonts, CJK fake data
# the desktop profile (docs/desktop.md): session bus, AT-SPI, openbox + tint2, LibreOffice, files, editor
DESKTOP_PACKAGES=(dbus-daemon dbus-bin dbus-x11 at-spi2-core gir1.2-atspi-2.0 python3-pyatspi openbox tint2
  adwaita-icon-theme pcmanfm mousepad libreoffice-calc libreoffice-writer libreoffice-gtk3 wmctrl procps)
APT_PACKAGES+=("${DESKTOP_PACKAGES[@]}")
if [ "$extras" = "dev" ]; then APT_PACKAGES+=(postgresql); fi  # tests: a throwaway Postgres for the station's database
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
hash="$(sha256sum pyproject.toml | cut -c1-16)"
stamp=".venv/.cleantrace-$hash-${extras:-core}"
# a venv with the dev extras has everything; any install of this pyproject has what recording needs
if [ ! -e "$stamp" ] && [ ! -e ".venv/.cleantrace-$hash-dev" ] && { [ -n "$extras" ] || ! compgen -G ".venv/.cleantrace-$hash-*" >/dev/null; }; then
  echo "installing the cleantrace package${extras:+ with [$extras]} and its Python dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  find .venv -maxdepth 1 -name '.cleantrace-*' ! -name ".cleantrace-$hash-*" -delete
  touch "$stamp"
fi
