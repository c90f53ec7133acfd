#!/usr/bin/env bash
# `make demo` must keep working: scripts/demo with a smaller crowd (12 clients,
# MCGK_DEMO_USERS) - KMS, GMS and every client as separate processes on
# loopback; the demo itself exits non-zero when any client holds a wrong key.
# Usage: bash test_demo.sh path/to/mcgk
set -u
MCGK=$(readlink -f "${1:?usage: $0 path/to/mcgk}")
HERE=$(cd "$(dirname "$0")" && pwd)
out=$(MCGK_DEMO_USERS=${MCGK_DEMO_USERS:-12} bash "$HERE/../../scripts/demo" "$MCGK" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL demo exited $rc"; exit 1; }
grep -q "^demo: OK" <<<"$out" || { echo "FAIL no OK line"; exit 1; }
echo "ok   demo"
