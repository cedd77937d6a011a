# Sourced by scripts/test.sh and scripts/devnet.sh: installs the pinned Debian packages the build
# needs on a fresh Debian 12 machine (Rust, gcc and g++ are there already), and only those that
# are missing or at another version.

# librocksdb-sys generates its bindings with bindgen, which loads libclang at build time. The
# prover queue's tests start throwaway PostgreSQL servers (initdb, postgres, pg_isready, psql).
# The GPU MSM's tests run on Mesa's software Vulkan (lavapipe) and the Vulkan loader, which wgpu
# opens at run time (nothing GPU-specific is needed to build).
build_packages=("libclang-dev=1:14.0-55.7~deb12u1" "postgresql-15=15.18-0+deb12u1"
  "mesa-vulkan-drivers=22.3.6-1+deb12u2" "libvulkan1=1.3.239.0-1")

install_build_packages() {
  local missing=() pkg name version installed sudo=""
  for pkg in "${build_packages[@]}"; do
    name=${pkg%%=*}
    version=${pkg#*=}
    installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
    [ "$installed" = "$version" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "==> installing ${missing[*]} (Debian; RocksDB's bindings, the queue's and GPU tests)" >&2
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
