#!/usr/bin/env bash
# Provisions what @berth/driver-local uses to isolate processes on a Debian/Ubuntu host:
# bubblewrap (bwrap: namespaces, a minimal read-only view of the host, mounts), util-linux
# (setpriv: user switch, capability drop, no-new-privileges; nsenter: exec into a running
# container, joining a network) and iproute2 (network namespaces for internal networks). Idempotent:
# installs only what is missing, and does nothing when all are present.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
{ command -v setpriv >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1; } || missing+=(util-linux)
# ip: internal networks are network namespaces of their own.
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# The driver's tests listen with busybox nc and build a preload probe with gcc.
command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "local-host: bubblewrap and util-linux already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "local-host: missing ${missing[*]} and no apt-get to install them; install them with your package manager" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "local-host: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

echo "local-host: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
