#!/usr/bin/env bash
# System packages the tests use, from Debian: Chromium for the browser tests (Playwright drives
# it through executable_path: no browser download), a CJK font so screenshots of the Chinese UI
# are readable, and PostgreSQL for the audit-log test against a real server. Idempotent; needs
# root (apt). Without them those tests are skipped, not failed.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi" || missing+=(fonts-wqy-microhei)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
