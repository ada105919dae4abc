#!/usr/bin/env bash
# Provisions a Docker engine and the Berth test image on a Debian machine (CI or a contributor's).
# Idempotent: installs only what is missing, starts dockerd only when no engine answers, imports
# the image only when it is absent or is not the one this script builds. Run as root. No registry
# is reachable in CI, so nothing is pulled: the test image is a rootfs made from Debian's static
# busybox.
set -euo pipefail

image=${BERTH_TEST_IMAGE:-berth-test/busybox:latest}
# The recipe's version, stamped on the image as a label. An image of the same name built some
# other way (another machine, an older recipe) can differ in ways the tests trip over without
# saying why, such as a /tmp the test user cannot write; the label tells it apart, so it is
# rebuilt, and the tests refuse an image without it (scripts/test-image.mjs reads this line).
# Bump it whenever the image below changes.
image_version=1
image_label=berth.test-image.version
log=${BERTH_DOCKERD_LOG:-/var/log/berth-dockerd.log}
wait_seconds=${BERTH_DOCKERD_WAIT:-60}

say() { echo "docker-engine: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (it may install packages and start dockerd)"
  exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

engine_answers() { timeout 5 docker info >/dev/null 2>&1; }
pidfile=/var/run/berth-dockerd.pid

start_engine() {
  say "starting dockerd (log: $log)"
  # iptables off: the engine must not rewrite the host's firewall; tests only use loopback
  # published ports and internal networks, which need neither NAT nor masquerading.
  nohup dockerd --iptables=false --ip-masq=false >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  deadline=$((SECONDS + wait_seconds))
  until engine_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "no engine answered within ${wait_seconds}s; last lines of $log:"
      tail -n 40 "$log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

engine_answers || start_engine

# The default bridge backs published ports. If its interface was deleted under a running
# engine, every container with a port fails to start; only a restart of the engine recreates it.
bridge=$(docker network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
if [ -n "$bridge" ] && [ ! -e "/sys/class/net/$bridge" ]; then
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    say "the engine's bridge $bridge is gone and this script did not start the engine; restart it"
    exit 1
  fi
  say "bridge $bridge is gone; restarting the dockerd this script started (pid $pid)"
  kill "$pid"
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  start_engine
fi
say "engine up: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null)"

old_id=
if docker image inspect "$image" >/dev/null 2>&1; then
  found=$(docker image inspect --format "{{index .Config.Labels \"$image_label\"}}" "$image")
  if [ "$found" = "$image_version" ]; then
    say "image $image present ($image_label=$image_version)"
    exit 0
  fi
  old_id=$(docker image inspect --format '{{.Id}}' "$image")
  say "image $image is not the one this script builds ($image_label is '${found:-<no label>}', expected '$image_version'); rebuilding it"
else
  say "building $image from /bin/busybox"
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$rootfs/bin/busybox"
# Every applet as a symlink, so /bin/sh, nc, wget, dd ... exist in the image.
chroot "$rootfs" /bin/busybox --install -s 2>/dev/null || {
  for applet in $(/bin/busybox --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
}
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/bin/sh"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL $image_label=$image_version" \
  - "$image" >/dev/null
say "image $image built ($image_label=$image_version)"
# The replaced image now has no name; removing it frees its space. It stays while a container
# uses it or another name refers to it (no -f), and that is no reason to fail.
if [ -n "$old_id" ] && [ "$(docker image inspect --format '{{.Id}}' "$image")" != "$old_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
