#!/usr/bin/env bash
# spineplan set-up for a fresh machine (Debian/Ubuntu; Python >= 3.11).
#   ./dev.sh run [ARGS...]  install once, then open the workstation (default: sample case 1)
#   ./dev.sh test [ARGS...] install once, then lint, check the layer contracts and run the tests
# Everything lands in ./.venv; Debian packages are installed only when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

# Runtime libraries Qt needs (offscreen and X11), and the DICOM/PDF tools the tests call.
RUNTIME_DEBS=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
              libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
              libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-dejavu-core)
TEST_DEBS=(dicom3tools dcmtk poppler-utils xvfb orthanc orthanc-dicomweb gcc libssl-dev)

install_debs() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "dev.sh: please install these Debian packages: ${missing[*]}" >&2
        return 0
    fi
    echo "dev.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
    local target=$1   # "." or ".[test]"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    # Reinstall only when the dependency list changed.
    local stamp="$VENV/.installed-${target//[^a-z]/}-$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$target"
        touch "$stamp"
    fi
}

command=${1:-run}
[ $# -gt 0 ] && shift
case "$command" in
    run)
        install_debs "${RUNTIME_DEBS[@]}"
        install_python .
        if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ] \
           && [ "${QT_QPA_PLATFORM:-}" != offscreen ]; then
            mkdir -p out
            echo "dev.sh: no display here; rendering the window to out/main_window.png instead" >&2
            QT_QPA_PLATFORM=offscreen exec "$VENV/bin/spineplan" "$@" --screenshot out/main_window.png
        fi
        exec "$VENV/bin/spineplan" "$@"
        ;;
    test)
        install_debs "${RUNTIME_DEBS[@]}" "${TEST_DEBS[@]}"
        install_python ".[test]"
        export QT_QPA_PLATFORM=offscreen
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/lint-imports"
        "$VENV/bin/mypy"
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh run [PATH] | ./dev.sh test [PYTEST ARGS]" >&2
        exit 2
        ;;
esac
