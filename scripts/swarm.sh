#!/usr/bin/env bash
# Builds and tears down the Docker Swarm clusters that @berth/driver-swarm is tested on:
#   twoNode  the main engine (manager, 10.231.0.1) and a dockerd in netns berth-worker (10.231.0.2)
#   solo     a dockerd in netns berth-solo (10.231.0.3), a single-node swarm of its own
# The extra daemons reach the main engine over the host bridge berth-swarm0, which has no route
# out: nothing touches eth0 or the firewall. Sockets and node ids go to /run/berth-swarm/clusters.json.
# Usage: bash scripts/swarm.sh [up|down|status|worker-stop|worker-start]; as root, after
# scripts/docker-engine.sh. No registry is reachable, so the test image is copied from the main engine.
set -euo pipefail

image=${BERTH_TEST_IMAGE:-berth-test/busybox:latest}
wait_seconds=${BERTH_SWARM_WAIT:-120}
state=/run/berth-swarm
data=/var/lib/berth-swarm
clusters_file=$state/clusters.json
bridge=berth-swarm0
manager_addr=10.231.0.1
main=/var/run/docker.sock
nodes=(worker solo)
launched=

say() { echo "swarm: $*" >&2; }
die() { say "$*"; exit 1; }

addr_of() { case $1 in worker) echo 10.231.0.2 ;; solo) echo 10.231.0.3 ;; esac; }
sock_of() { echo "$state/$1.sock"; }
log_of() { echo "/var/log/berth-dockerd-$1.log"; }
dk() { local sock=$1; shift; docker -H "unix://$sock" "$@"; }
answers() { timeout 10 docker -H "unix://$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
info() { timeout 20 docker -H "unix://$1" info --format "$2" 2>/dev/null; }
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# wait_until WHAT CMD...: polls CMD; past the deadline says what never happened, with the clues.
wait_until() {
  local what=$1 deadline=$((SECONDS + wait_seconds))
  shift
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "gave up after ${wait_seconds}s waiting for: $what"
      tail -n 20 "$(log_of worker)" "$(log_of solo)" >&2 2>/dev/null || true
      say "nodes as the main engine sees them:"
      dk "$main" node ls >&2 2>&1 || true
      exit 1
    fi
    sleep 0.3
  done
}

# The main engine is in the swarm this script makes: the one it advertises on the bridge.
ours() { [ "$(info "$main" '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}} {{.Swarm.ControlAvailable}}')" = "active $manager_addr true" ]; }
swarm_state() { info "$1" '{{.Swarm.LocalNodeState}}'; }
swarm_active() { [ "$(swarm_state "$1")" = active ]; }
# all_ready SOCK N: that manager lists exactly N nodes, all Ready and Active.
all_ready() {
  local out
  out=$(timeout 20 docker -H "unix://$1" node ls --format '{{.Status}}/{{.Availability}}' 2>/dev/null) || return 1
  [ "$(grep -cx 'Ready/Active' <<<"$out")" = "$2" ] && [ "$(wc -l <<<"$out")" = "$2" ]
}
node_state_is() { [ "$(dk "$main" node inspect --format '{{.Status.State}}' "$1" 2>/dev/null)" = "$2" ]; }

network_up() {
  [ -e "/sys/class/net/$bridge" ] || ip link add "$bridge" type bridge
  ip -4 -o addr show dev "$bridge" | grep -q " $manager_addr/24 " || ip addr add "$manager_addr/24" dev "$bridge"
  ip link set "$bridge" up
  local n ns veth
  for n in "${nodes[@]}"; do
    ns=berth-$n veth=berth-sw-$n
    # A name left as a plain file (its mount gone) would make `ip netns add` fail.
    mountpoint -q "/run/netns/$ns" || { rm -f "/run/netns/$ns"; ip netns add "$ns"; }
    # A deleted namespace takes its end of the pair along, so the host end tells whether both exist.
    [ -e "/sys/class/net/$veth" ] || ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" -4 -o addr show dev eth0 | grep -q " $(addr_of "$n")/24 " || ip -n "$ns" addr add "$(addr_of "$n")/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
}

# running PIDFILE COMM: the pid of a live COMM in PIDFILE; not a pid reused since, nor a zombie
# that init has not reaped yet (dockerd takes one for a live process and would wait on it).
running() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}
daemon_pid() { running "$state/$1.pid" dockerd; }

start_daemon() {
  local n=$1 sock
  sock=$(sock_of "$n")
  launched=
  if ! daemon_pid "$n" >/dev/null; then
    mkdir -p "$data/$n" "$state/$n"
    # Left by a daemon that was killed: dockerd refuses to start while that pid is still there,
    # and waits in vain on a containerd of its whose pid is. A containerd still alive is reused.
    rm -f "$state/$n.pid"
    running "$state/$n/containerd/containerd.pid" containerd >/dev/null || rm -f "$state/$n/containerd/containerd.pid"
    say "starting dockerd berth-$n (log: $(log_of "$n"))"
    # nsenter, not `ip netns exec`: that remounts /sys and dockerd then finds no cgroups. A UTS
    # namespace of its own gives the node its name in swarm listings. Its own exec root gives it
    # its own containerd; its own containerd namespaces keep it apart even if a system containerd
    # is found and shared. fd 9 (the lock) is not handed down, or the daemon would hold it forever.
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    # A session of its own: a daemon started from a test run (worker-start) outlives that run.
    setsid nohup nsenter --net="/run/netns/berth-$n" unshare --uts \
      sh -c 'echo "$0" >/proc/sys/kernel/hostname && exec "$@"' "berth-$n" \
      dockerd --data-root "$data/$n" --exec-root "$state/$n" --pidfile "$state/$n.pid" \
      -H "unix://$sock" --containerd-namespace "berth-$n" --containerd-plugins-namespace "berth-$n-plugins" \
      --iptables=false --ip-masq=false >>"$(log_of "$n")" 2>&1 </dev/null 9<&- &
    launched=$!
  fi
  wait_until "dockerd berth-$n to answer on $sock" answers_or_exited "$n"
}
# Succeeds once the daemon answers; ends the wait at once if the one just launched has exited.
answers_or_exited() {
  answers "$(sock_of "$1")" && return 0
  [ -z "$launched" ] || kill -0 "$launched" 2>/dev/null || {
    say "dockerd berth-$1 exited; last lines of $(log_of "$1"):"
    tail -n 15 "$(log_of "$1")" >&2
    exit 1
  }
  return 1
}

stop_daemon() {
  local n=$1 pid deadline
  pid=$(daemon_pid "$n") || return 0
  kill -TERM "$pid"
  deadline=$((SECONDS + 60))
  while daemon_pid "$n" >/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd berth-$n (pid $pid) still runs 60s after SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 60))
    fi
    sleep 0.2
  done
}

# Copied, not pulled. The image id, not only its version label, is compared: docker-engine.sh
# rebuilding the same version gives a new id, and the nodes should run what the main engine has.
copy_image() {
  local sock=$1 want
  want=$(dk "$main" image inspect --format '{{.Id}}' "$image" 2>/dev/null) \
    || die "the main engine has no $image; run scripts/docker-engine.sh first"
  [ "$(dk "$sock" image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$want" ] && return 0
  say "copying $image to $sock"
  docker save "$image" | dk "$sock" load -q >/dev/null
}

# init_swarm SOCK ADDR POOL. A 2s heartbeat makes a dead node Down within seconds, not the
# default 5s x3. Overlay subnets come from a pool of their own, well apart from the bridge's
# 10.231.0.0/24, which the default pool 10.0.0.0/8 contains; one pool per cluster tells them apart.
init_swarm() {
  say "creating a swarm on $1 ($2)"
  dk "$1" swarm init --advertise-addr "$2" --listen-addr "$2:2377" --dispatcher-heartbeat 2s \
    --default-addr-pool "$3" --default-addr-pool-mask-length 24 >/dev/null
}

manager_up() {
  local st
  st=$(swarm_state "$main") || die "no engine answers on $main; run scripts/docker-engine.sh first"
  case $st in
    inactive) init_swarm "$main" "$manager_addr" 10.232.0.0/16 ;;
    active) ours || die "the main engine is already in a swarm this script did not make ($(info "$main" 'node address {{.Swarm.NodeAddr}}, manager {{.Swarm.ControlAvailable}}')); leave it first (docker swarm leave --force) if it may go" ;;
    *) die "the main engine's swarm is '$st'; see docker info" ;;
  esac
  [ "$(info "$main" '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}')" = 2s ] \
    || docker swarm update --dispatcher-heartbeat 2s >/dev/null
}

worker_up() {
  local sock st id wid
  sock=$(sock_of worker)
  st=$(swarm_state "$sock")
  wid=$(info "$sock" '{{.Swarm.NodeID}}')
  # State kept from a swarm that is gone (the main engine's was made anew): start over.
  if [ "$st" != inactive ] && ! dk "$main" node inspect "$wid" >/dev/null 2>&1; then
    say "berth-worker belongs to another swarm; it leaves it"
    dk "$sock" swarm leave --force >/dev/null
    st=inactive
  fi
  if [ "$st" = inactive ]; then
    say "berth-worker joins the main engine's swarm"
    dk "$sock" swarm join --token "$(docker swarm join-token -q worker)" \
      --advertise-addr "$(addr_of worker)" "$manager_addr:2377" >/dev/null
    wid=$(info "$sock" '{{.Swarm.NodeID}}')
  fi
  # Nodes of earlier workers (a data root wiped under a live manager) would stay Down forever.
  for id in $(dk "$main" node ls --filter role=worker --format '{{.ID}}'); do
    [ "$id" = "$wid" ] || dk "$main" node rm --force "$id" >/dev/null
  done
  wait_until "berth-worker to be in the swarm" swarm_active "$sock"
}

solo_up() {
  local sock
  sock=$(sock_of solo)
  [ "$(swarm_state "$sock")" != inactive ] || init_swarm "$sock" "$(addr_of solo)" 10.233.0.0/16
  wait_until "berth-solo to be in its swarm" swarm_active "$sock"
}

node_json() {
  info "$1" "{\"socketPath\":\"$1\",\"nodeId\":{{json .Swarm.NodeID}},\"hostname\":{{json .Name}},\"address\":{{json .Swarm.NodeAddr}}}"
}
clusters_json() {
  local a w s
  a=$(node_json "$main") && w=$(node_json "$(sock_of worker)") && s=$(node_json "$(sock_of solo)") || return 1
  printf '{"twoNode":{"manager":%s,"workers":[%s]},"solo":{"manager":%s}}\n' "$a" "$w" "$s"
}
# Rewritten only when it changes, so that a second `up` changes nothing.
write_clusters() {
  local json
  json=$(clusters_json)
  [ "$(cat "$clusters_file" 2>/dev/null)" = "$json" ] && return 0
  echo "$json" >"$clusters_file.tmp"
  mv "$clusters_file.tmp" "$clusters_file"
}

up() {
  local t0 n
  t0=$(now)
  answers "$main" || die "no engine answers on $main; run scripts/docker-engine.sh first"
  network_up
  manager_up
  for n in "${nodes[@]}"; do start_daemon "$n"; done
  for n in "${nodes[@]}"; do copy_image "$(sock_of "$n")"; done
  worker_up
  solo_up
  wait_until "all nodes of twoNode Ready and Active" all_ready "$main" 2
  wait_until "berth-solo Ready and Active" all_ready "$(sock_of solo)" 1
  write_clusters
  say "up in $(since "$t0"): twoNode = $(info "$main" '{{.Name}}') (manager, $manager_addr, $main) + berth-worker ($(addr_of worker), $(sock_of worker)); solo = berth-solo ($(addr_of solo), $(sock_of solo)); $clusters_file"
}

status() {
  local missing=() n
  [ -e "/sys/class/net/$bridge" ] || missing+=("bridge $bridge")
  ours || missing+=("the main engine as manager of the swarm at $manager_addr")
  for n in "${nodes[@]}"; do answers "$(sock_of "$n")" || missing+=("dockerd berth-$n on $(sock_of "$n")"); done
  all_ready "$main" 2 || missing+=("twoNode with its 2 nodes Ready and Active")
  all_ready "$(sock_of solo)" 1 || missing+=("solo with its node Ready and Active")
  [ "${#missing[@]}" -gt 0 ] || [ "$(cat "$clusters_file" 2>/dev/null)" = "$(clusters_json)" ] \
    || missing+=("$clusters_file matching the nodes")
  if [ "${#missing[@]}" -gt 0 ]; then
    say "not up; missing: $(printf '%s; ' "${missing[@]}")run: bash scripts/swarm.sh up"
    exit 1
  fi
  cat "$clusters_file"
}

# Services first: their tasks keep the networks busy until they are gone.
remove_managed() {
  local ids
  mapfile -t ids < <(dk "$1" service ls -q --filter label=berth.managed=true)
  [ "${#ids[@]}" -eq 0 ] || dk "$1" service rm "${ids[@]}" >/dev/null
  wait_until "berth.managed networks of $1 removed" no_managed_networks "$1"
}
no_managed_networks() {
  local ids
  mapfile -t ids < <(dk "$1" network ls -q --filter label=berth.managed=true --filter scope=swarm)
  [ "${#ids[@]}" -eq 0 ] || { dk "$1" network rm "${ids[@]}" >/dev/null 2>&1; return 1; }
}

down() {
  local wsock n id m
  wsock=$(sock_of worker)
  if answers "$(sock_of solo)" && swarm_active "$(sock_of solo)"; then remove_managed "$(sock_of solo)"; fi
  if ours; then
    remove_managed "$main"
    if answers "$wsock" && [ "$(swarm_state "$wsock")" != inactive ]; then dk "$wsock" swarm leave --force >/dev/null; fi
    for id in $(dk "$main" node ls --filter role=worker --format '{{.ID}}'); do dk "$main" node rm --force "$id" >/dev/null; done
    say "the main engine leaves the swarm"
    docker swarm leave --force >/dev/null
  elif [ "$(swarm_state "$main")" = active ]; then
    say "the main engine is in a swarm this script did not make; it stays in it"
  fi
  for n in "${nodes[@]}"; do stop_daemon "$n"; done
  # Deepest first; lazily when still busy, so that the data roots can go.
  for m in $(findmnt -rn -o TARGET | awk -v a="$data/" -v b="$state/" 'index($0, a) == 1 || index($0, b) == 1' | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  for n in "${nodes[@]}"; do
    [ ! -e "/run/netns/berth-$n" ] || ip netns delete "berth-$n"
    [ ! -e "/sys/class/net/berth-sw-$n" ] || ip link delete "berth-sw-$n"
  done
  [ ! -e "/sys/class/net/$bridge" ] || ip link delete "$bridge"
  rm -rf "$data" "$state"
  # Made by the main engine for the swarm; no longer needed once out of any swarm.
  if [ "$(swarm_state "$main")" = inactive ] && dk "$main" network inspect docker_gwbridge >/dev/null 2>&1 \
    && [ "$(dk "$main" network inspect --format '{{len .Containers}}' docker_gwbridge)" = 0 ]; then
    dk "$main" network rm docker_gwbridge >/dev/null
  fi
  # The engine leaves its swarm sandboxes' namespace files behind, unmounted and empty; out of
  # any swarm, no overlay (1-*, lb_*) or ingress sandbox of its can be in use.
  if [ "$(swarm_state "$main")" = inactive ]; then
    for m in /var/run/docker/netns/{1-*,lb_*,ingress_sbox}; do
      if [ -f "$m" ] && [ ! -s "$m" ] && ! mountpoint -q "$m"; then rm -f "$m"; fi
    done
  fi
  say "down"
}

worker_stop() {
  local id t0 t1
  ours && id=$(dk "$main" node ls --filter role=worker --format '{{.ID}}' | head -n 1) && [ -n "$id" ] || die "twoNode is not up; run: bash scripts/swarm.sh up"
  t0=$(now)
  stop_daemon worker
  t1=$(now)
  wait_until "the manager to see berth-worker Down" node_state_is "$id" down
  say "dockerd berth-worker stopped in $(since "$t0") (its containers stop first); the manager saw the node Down $(since "$t1") after"
}

worker_start() {
  local t0
  ours && [ -e /run/netns/berth-worker ] || die "twoNode is not up; run: bash scripts/swarm.sh up"
  t0=$(now)
  start_daemon worker
  wait_until "berth-worker to be in the swarm" swarm_active "$(sock_of worker)"
  wait_until "all nodes of twoNode Ready and Active" all_ready "$main" 2
  say "berth-worker Ready again after $(since "$t0")"
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it makes network namespaces and starts dockerd)"
for tool in ip nsenter unshare findmnt flock docker dockerd; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing; run scripts/local-host.sh and scripts/docker-engine.sh first"
done
# One run at a time: tests may call worker-stop while another run is still bringing things up.
exec 9<"${BASH_SOURCE[0]}"
flock 9
case ${1:-up} in
  up) up ;;
  down) down ;;
  status) status ;;
  worker-stop) worker_stop ;;
  worker-start) worker_start ;;
  *) die "usage: bash scripts/swarm.sh [up|down|status|worker-stop|worker-start]" ;;
esac
