#!/usr/bin/env bash
# Downloads ICT-FaceKit (MIT) from its public GitHub repository, converts FaceXModel/ to F3DM with
# `faceg2e-cli import-ict`, and installs it where FaceG2E looks for it:
#   ${XDG_DATA_HOME:-~/.local/share}/faceg2e/face/ict_facekit_full.f3dm
set -euo pipefail

REPO_URL="https://github.com/ICT-VGL/ICT-FaceKit"
TARBALL_URL="https://github.com/ICT-VGL/ICT-FaceKit/archive/HEAD.tar.gz"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
DATA_HOME="${XDG_DATA_HOME:-${HOME}/.local/share}"
DEST="${DATA_HOME}/faceg2e/face/ict_facekit_full.f3dm"
CLI=""
SOURCE_DIR=""
FORCE=0

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--cli PATH] [--from DIR] [--dest FILE] [--force] [--help]

Downloads the ICT-FaceKit face model (MIT licence, ${REPO_URL}),
converts its FaceXModel/ folder with 'faceg2e-cli import-ict' and installs the result at
  ${DEST}
FaceG2E finds it there automatically (see 'faceg2e-cli info').

Options:
  --cli PATH   faceg2e-cli to use (default: \$FACEG2E_CLI, then build*/app/faceg2e-cli in
               ${SOURCE_ROOT}, then faceg2e-cli on PATH)
  --from DIR   use an ICT-FaceKit checkout (or its FaceXModel/ folder) already on disk
               instead of downloading
  --dest FILE  install somewhere else
  --force      overwrite an existing installed model
  --help       show this help

Needs: git or curl+tar (for the download), about 500 MB of temporary disk space.
USAGE
}

die() { echo "fetch-face-model: error: $*" >&2; exit 1; }
say() { echo "fetch-face-model: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --cli) [[ $# -ge 2 ]] || die "--cli needs a path"; CLI="$2"; shift 2 ;;
    --from) [[ $# -ge 2 ]] || die "--from needs a folder"; SOURCE_DIR="$2"; shift 2 ;;
    --dest) [[ $# -ge 2 ]] || die "--dest needs a file"; DEST="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

find_cli() {
  if [[ -n "${CLI}" ]]; then
    [[ -x "${CLI}" ]] || die "--cli ${CLI} is not an executable"
    return
  fi
  if [[ -n "${FACEG2E_CLI:-}" ]]; then
    [[ -x "${FACEG2E_CLI}" ]] || die "FACEG2E_CLI=${FACEG2E_CLI} is not an executable"
    CLI="${FACEG2E_CLI}"
    return
  fi
  local candidate newest=""
  # The most recently built faceg2e-cli in the checkout's build folders.
  for candidate in "${SOURCE_ROOT}"/build/app/faceg2e-cli "${SOURCE_ROOT}"/build*/app/faceg2e-cli; do
    if [[ -x "${candidate}" ]] && { [[ -z "${newest}" ]] || [[ "${candidate}" -nt "${newest}" ]]; }; then
      newest="${candidate}"
    fi
  done
  if [[ -n "${newest}" ]]; then CLI="${newest}"; return; fi
  if command -v faceg2e-cli >/dev/null 2>&1; then CLI="$(command -v faceg2e-cli)"; return; fi
  die "faceg2e-cli not found: build it first (scripts/build.sh or cmake --build build --target faceg2e-cli), or pass --cli PATH"
}

find_cli
say "using ${CLI}"

if [[ -e "${DEST}" && "${FORCE}" -eq 0 ]]; then
  say "${DEST} already exists; checking it (use --force to replace it)"
  "${CLI}" info --face-model "${DEST}" >/dev/null && { say "installed model is valid, nothing to do"; exit 0; }
  die "${DEST} exists but does not load; rerun with --force to replace it"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-fetch.XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${SOURCE_DIR}" ]]; then
  SOURCE_DIR="${WORK}/ICT-FaceKit"
  if command -v git >/dev/null 2>&1; then
    say "cloning ${REPO_URL} (shallow) ..."
    git clone --depth 1 --quiet "${REPO_URL}.git" "${SOURCE_DIR}" ||
      die "git clone of ${REPO_URL} failed (no network? proxy?). Download it yourself and use --from DIR"
  elif command -v curl >/dev/null 2>&1; then
    say "downloading ${TARBALL_URL} ..."
    mkdir -p "${SOURCE_DIR}"
    curl -fL --retry 3 --progress-bar "${TARBALL_URL}" -o "${WORK}/ict.tar.gz" ||
      die "download failed (no network? proxy?). Download ${REPO_URL} yourself and use --from DIR"
    tar -xzf "${WORK}/ict.tar.gz" -C "${SOURCE_DIR}" --strip-components=1 || die "could not unpack the tarball"
  else
    die "neither git nor curl is installed"
  fi
fi

# Accept the repository root or its FaceXModel/ folder.
if [[ -f "${SOURCE_DIR}/FaceXModel/generic_neutral_mesh.obj" ]]; then
  MODEL_DIR="${SOURCE_DIR}/FaceXModel"
elif [[ -f "${SOURCE_DIR}/generic_neutral_mesh.obj" ]]; then
  MODEL_DIR="${SOURCE_DIR}"
else
  die "no FaceXModel/generic_neutral_mesh.obj under ${SOURCE_DIR}: not an ICT-FaceKit checkout?"
fi
[[ -f "${MODEL_DIR}/LICENSE" || -f "${MODEL_DIR}/../LICENSE" ]] ||
  die "no LICENSE next to ${MODEL_DIR}: the MIT notice must travel with the model"

mkdir -p "$(dirname "${DEST}")"
TMP_OUT="${DEST}.partial.$$"
trap 'rm -f "${TMP_OUT}"; cleanup' EXIT
say "converting ${MODEL_DIR} (158 OBJ files, ~400 MB) ..."
"${CLI}" import-ict "${MODEL_DIR}" "${TMP_OUT}" || die "import-ict failed"
"${CLI}" info --face-model "${TMP_OUT}" >/dev/null || die "the converted model does not validate"
mv -f "${TMP_OUT}" "${DEST}"
say "installed ${DEST}"
say "the model is ICT-FaceKit, MIT licence, Copyright (c) 2020 USC Institute for Creative Technologies;"
say "its notice is embedded in the file and copied into every export."
