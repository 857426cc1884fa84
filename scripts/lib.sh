# Shared set-up for scripts/run.sh and scripts/test.sh: Debian packages, configure, build.
# Sourced, not run. Honours:
#   FACEG2E_BUILD_DIR   (default: build)      FACEG2E_JOBS (default: 2)
#   FACEG2E_CMAKE_ARGS  extra arguments for cmake's configure step (e.g. -DCMAKE_PREFIX_PATH=...)
#   FACEG2E_SKIP_APT=1  do not touch the system packages
set -euo pipefail

FACEG2E_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FACEG2E_BUILD_DIR="${FACEG2E_BUILD_DIR:-$FACEG2E_ROOT/build}"
FACEG2E_JOBS="${FACEG2E_JOBS:-2}"

# Debian 12 packages the build, the tests and the GUI need.
FACEG2E_PACKAGES=(
  cmake g++ make pkg-config ccache
  libtorch-dev libopenblas0-pthread
  libimgui-dev libglfw3-dev libvulkan-dev glslc mesa-vulkan-drivers
  libglm-dev libstb-dev libtinyobjloader-dev libtinygltf-dev nlohmann-json3-dev libspdlog-dev libcli11-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  xvfb xauth
  slurmctld slurmd slurm-client munge jq iproute2
)

faceg2e_log() { printf '\033[1m[faceg2e]\033[0m %s\n' "$*" >&2; }

faceg2e_install_packages() {
  if [[ "${FACEG2E_SKIP_APT:-0}" == 1 ]]; then return; fi
  local missing=()
  for p in "${FACEG2E_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then return; fi
  faceg2e_log "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Node and npm for the Khronos glTF-Validator (tools/gltf-validator, a test of the GLB export).
# Checked as commands, not as Debian packages: some machines' `nodejs` package bundles npm, and
# there `apt-get install npm` fails with "held broken packages".
faceg2e_install_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return; fi
  if [[ "${FACEG2E_SKIP_APT:-0}" == 1 ]]; then
    faceg2e_log "node/npm missing: the glTF validator test will fail (FACEG2E_SKIP_APT=1)"
    return
  fi
  local sudo=()
  if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  if ! command -v node >/dev/null; then
    faceg2e_log "installing Debian package: nodejs"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nodejs
  fi
  if ! command -v npm >/dev/null; then
    faceg2e_log "installing Debian package: npm"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends npm
  fi
}

# The pinned gltf-validator (package-lock.json) into tools/gltf-validator/node_modules.
faceg2e_install_gltf_validator() {
  local dir="$FACEG2E_ROOT/tools/gltf-validator"
  if ! command -v npm >/dev/null; then return; fi
  if [[ -f "$dir/node_modules/gltf-validator/package.json" ]] &&
     cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.faceg2e" 2>/dev/null; then
    return
  fi
  faceg2e_log "installing the glTF validator (npm ci in tools/gltf-validator)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.faceg2e"
}

faceg2e_configure_and_build() {
  local launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
              -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
    # Precompiled torch headers are only cache-safe with these.
    export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
    export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
    # Relative paths in the cache key: a fresh clone elsewhere still hits the cache.
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$FACEG2E_ROOT}"
  fi
  faceg2e_log "configuring $FACEG2E_BUILD_DIR"
  # shellcheck disable=SC2086
  cmake -S "$FACEG2E_ROOT" -B "$FACEG2E_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    "${launcher[@]}" ${FACEG2E_CMAKE_ARGS:-} >/dev/null
  faceg2e_log "building with -j$FACEG2E_JOBS (first build takes a while: LibTorch is large)"
  cmake --build "$FACEG2E_BUILD_DIR" -j "$FACEG2E_JOBS"
}
