#!/usr/bin/env bash
# Installs Debian's Prometheus (prometheus and promtool) for @berth/metrics' scrape test, which
# starts its own server on 127.0.0.1 with a scrape config of its own. Idempotent; run as root.
# The package's own service is never started: it would listen on every address.
set -euo pipefail

say() { echo "prometheus: $*" >&2; }

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  say "present: $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  say "must run as root to install the prometheus package"
  exit 1
fi
say "installing Debian's prometheus"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d answering 101 keeps the package from starting its service during install.
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
fi
trap 'if [ "$had_policy" -eq 0 ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# Stopped if a service manager started it anyway.
if pgrep -x prometheus >/dev/null 2>&1; then
  say "stopping the packaged service"
  (service prometheus stop || pkill -x prometheus) >/dev/null 2>&1 || true
fi
say "installed: $(prometheus --version 2>&1 | head -n 1)"
