#!/usr/bin/env bash
# One entry point for people and CI: setup | run | test | bench.
# Every command first installs what is missing, so a fresh Debian 12 machine
# needs nothing done by hand.
set -euo pipefail
cd "$(dirname "$0")"

DEBIAN_PACKAGES=(
  kamailio kamailio-sqlite-modules kamailio-presence-modules
  sip-tester baresip-core libportaudio2 sqlite3 python3-venv
  espeak-ng sox sipvicious sipsak
  # ./build.sh bench splits the engine's CPU by thread with it
  linux-perf
  # the web UI's browser tests drive it with Playwright (tests/web)
  chromium
  # to build the engine's pjsua2 binding (images/pjproject/), once per machine
  build-essential swig libssl-dev uuid-dev python3-dev patch xz-utils
)
VENV=.venv

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Installs a requirements file into the venv once; a stamp holding the file's
# hash makes later runs instant and a changed file reinstall.
install_python_packages() {
  local reqs=$1 stamp="$VENV/.installed-$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local want
  want=$(cat "$reqs" requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages from $reqs"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$reqs"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
    echo "$want" >"$stamp"
  fi
}

# The engine's pjsua2 binding, built from pjproject with the box's limits; the
# wheel is cached in ~/.cache/minipbx, so only the first run on a machine builds.
install_binding() {
  "$VENV/bin/python" images/pjproject/build_binding.py --python "$VENV/bin/python"
}

setup() {
  install_debian_packages
  install_python_packages "${1:-requirements.txt}"
  install_binding
}

# Renders the voice prompts of firmware/prompts/catalogue.toml into var/prompts with
# espeak-ng and sox; its manifest makes an unchanged catalogue a no-op.
build_prompts() {
  "$VENV/bin/python" -m firmware.prompts.build var/prompts
}

case "${1:-}" in
  setup)
    setup requirements-dev.txt
    ;;
  run)
    setup requirements.txt
    build_prompts
    shift
    exec "$VENV/bin/minipbx" run "$@"
    ;;
  test)
    setup requirements-dev.txt
    build_prompts
    shift
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
    # The SIP tests wait on phones and timers far more than they compute: three workers
    # (a file each at a time) take the suite on 2 cores from about 19 to about 8 minutes.
    # MINIPBX_TEST_WORKERS=0 runs it in one process.
    exec "$VENV/bin/pytest" -n "${MINIPBX_TEST_WORKERS:-3}" --dist loadfile "$@"
    ;;
  bench)
    setup requirements-dev.txt
    build_prompts
    shift
    exec "$VENV/bin/python" -m bench "$@"
    ;;
  *)
    echo "usage: $0 setup | run | test | bench" >&2
    exit 2
    ;;
esac
