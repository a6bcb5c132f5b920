#!/usr/bin/env bash
# System packages the tests use, installed when missing (Debian/Ubuntu, root or passwordless sudo):
# Chromium for the browser test (tests/test_serve.py). Without apt-get, the test skips with a reason.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: the browser test will be skipped" >&2; exit 0; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
echo "installing Debian's chromium for the browser test" >&2
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
