#!/bin/sh
# Installs every Debian package the build, the server and the tests need, and the npm
# test tooling. Idempotent: skips apt when everything is already installed.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libglib2.0-dev libwebsockets-dev libwebsockets-evlib-glib libnice-dev libsrtp2-dev libssl-dev
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libjansson-dev libsqlite3-dev
gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice
gstreamer1.0-tools gstreamer1.0-plugins-base-apps
gstreamer1.0-plugins-ugly gstreamer1.0-libav
python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
gir1.2-nice-0.1 python3-websocket iproute2 util-linux"
# Only the tests need a browser and Node.js.
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS chromium nftables coturn openssl clang-format"
    command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
    # coturn is only for the tests, which start their own in their own namespaces: the
    # system service Debian's package may start (on every address) is not wanted.
    case " $missing " in
    *" coturn "*) command -v systemctl >/dev/null 2>&1 &&
        $SUDO systemctl disable --now coturn >/dev/null 2>&1 || true ;;
    esac
fi

if [ "${1:-}" = "--test" ] && [ ! -d "$here/tests/e2e/node_modules/playwright-core" ]; then
    (cd "$here/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
