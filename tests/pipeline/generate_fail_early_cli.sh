#!/usr/bin/env bash
# `faceg2e-cli generate` checks everything it can before step 1 and fails in seconds, writes its
# project whole (never over an existing one without --force, never half on a full disk), keeps
# previews out of --out, and warns about model roles and prompts the text encoder would cut
# (issue 11). Runs use --guidance target at tiny sizes, or fail before any model loads.
# Usage: generate_fail_early_cli.sh FACEG2E_CLI SHARED_DIR
set -euo pipefail
CLI="$1"
SET="$2/fixtures/sd-reference"
CK="${SET}/checkpoints"
MODEL="$2/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-gen-fail-early.XXXXXX")"
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount -l "$m" 2> /dev/null || true; done
  rm -rf "${WORK}"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
try_tmpfs() {
  mkdir -p "$1"
  if mount -t tmpfs -o "$2" tmpfs "$1" 2> /dev/null; then MOUNTS+=("$1"); return 0; fi
  return 1
}
entries() { (cd "$1" && ls -A | sort | tr '\n' ' '); }
# Runs generate expecting a failure within $1 seconds and before step 1 (no progress line).
expect_early_failure() {
  local limit="$1"; shift
  local t0=${SECONDS}
  if "${CLI}" generate "$@" > /dev/null 2> "${WORK}/err.txt"; then fail "generate succeeded: $*"; fi
  (( SECONDS - t0 <= limit )) || fail "took $((SECONDS - t0)) s to fail (limit ${limit}): $*"
  if grep -q "step 1/" "${WORK}/err.txt"; then fail "failed only after the run started: $*"; fi
}
SD=(--face-model "${MODEL}" --sd21 "${CK}/sd2_ldm.safetensors" --sd15 "${CK}/sd1_ldm.safetensors"
    --controlnet-depth "${CK}/controlnet_sd1_lllyasviel.safetensors")
FAST=(--steps-geometry 2 --steps-texture 2 --render-size-geometry 64 --render-size-texture 64
      --texture-atlas-size 64 --vae-size 64)

"${CLI}" new --face-model "${MODEL}" --out "${WORK}/target" > /dev/null
TARGET=(--face-model "${MODEL}" --guidance target --target "${WORK}/target")

# --- invalid UTF-8 in the prompt: fails at once, names the offset, writes nothing --------------
expect_early_failure 10 "${SD[@]}" --out "${WORK}/utf8" --prompt $'a red face \xff\xfe' --preview-every 1
grep -q "not valid UTF-8" "${WORK}/err.txt" || fail "UTF-8 message: $(cat "${WORK}/err.txt")"
grep -q "offset 11" "${WORK}/err.txt" || fail "UTF-8 message has no byte offset: $(cat "${WORK}/err.txt")"
expect_early_failure 10 "${SD[@]}" --out "${WORK}/utf8" --prompt "a face" --negative-prompt $'\xc3('
grep -q -- "--negative-prompt" "${WORK}/err.txt" || fail "negative prompt UTF-8: $(cat "${WORK}/err.txt")"
[[ "$(entries "${WORK}")" == "err.txt target " ]] || fail "a failed generate left: $(entries "${WORK}")"

# --- step counts: 0 or negative is an error naming the flag ------------------------------------
for bad in "--steps-geometry 0" "--steps-geometry -5" "--steps-texture -1" "--steps-texture=0"; do
  # shellcheck disable=SC2086
  expect_early_failure 10 "${TARGET[@]}" --out "${WORK}/steps" ${bad}
  flag="${bad%%[ =]*}"
  grep -q -- "${flag}" "${WORK}/err.txt" || fail "'${bad}': message does not name ${flag}: $(cat "${WORK}/err.txt")"
done
expect_early_failure 10 "${TARGET[@]}" --out "${WORK}/steps" --preview-every -2
grep -q -- "--preview-every" "${WORK}/err.txt" || fail "--preview-every -2: $(cat "${WORK}/err.txt")"

# --- --out: an existing file, a read-only place ------------------------------------------------
echo "keep" > "${WORK}/a_file"
expect_early_failure 10 "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/a_file"
grep -q "existing file" "${WORK}/err.txt" || fail "--out file: $(cat "${WORK}/err.txt")"
if [[ "$(id -u)" == 0 ]]; then
  if try_tmpfs "${WORK}/ro" size=1m && mount -o remount,ro "${WORK}/ro"; then
    expect_early_failure 10 "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/ro/proj"
    grep -q "read-only" "${WORK}/err.txt" || fail "read-only --out: $(cat "${WORK}/err.txt")"
  else
    echo "SKIP: cannot mount a read-only tmpfs; read-only --out not tested"
  fi
else
  mkdir -p "${WORK}/ro" && chmod 555 "${WORK}/ro"
  expect_early_failure 10 "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/ro/proj"
  grep -q "cannot write" "${WORK}/err.txt" || fail "read-only --out: $(cat "${WORK}/err.txt")"
fi

# --- settings that point nowhere -----------------------------------------------------------------
expect_early_failure 10 --face-model "${MODEL}" --sd21 "${CK}/sd2_ldm.safetensors" --out "${WORK}/x" \
  --controlnet-depth "${CK}/controlnet_sd1_lllyasviel.safetensors" --prompt "a face" --sd15 "${WORK}/missing.safetensors"
grep -q "missing.safetensors" "${WORK}/err.txt" || fail "missing --sd15: $(cat "${WORK}/err.txt")"
expect_early_failure 10 "${SD[@]}" --out "${WORK}/x" --prompt "a face" --clip-vocab "${WORK}/none.txt.gz"
grep -q "CLIP vocabulary .*none.txt.gz does not exist" "${WORK}/err.txt" || fail "missing --clip-vocab: $(cat "${WORK}/err.txt")"
if FACEG2E_FACE_MODEL="${WORK}/missing.f3dm" "${CLI}" generate --guidance target --target "${WORK}/target" \
    --out "${WORK}/x" > /dev/null 2> "${WORK}/err.txt"; then fail "FACEG2E_FACE_MODEL pointing nowhere was ignored"; fi
grep -q "FACEG2E_FACE_MODEL" "${WORK}/err.txt" || fail "face model message: $(cat "${WORK}/err.txt")"

# --- model roles and long prompts: warnings before the run ---------------------------------------
# (--out is a file, so the run stops right after the checks.)
long="a portrait of an old man"
for _ in $(seq 1 20); do long+=", highly detailed skin"; done
long+=", ZEBRA STRIPES AT THE END"
expect_early_failure 10 --face-model "${MODEL}" --sd21 "${CK}/sd1_ldm.safetensors" --stages geometry \
  --prompt "${long}" --out "${WORK}/a_file"
grep -q "SD 1.x given as the geometry model, which expects SD 2.x" "${WORK}/err.txt" \
  || fail "no role warning: $(cat "${WORK}/err.txt")"
grep -q "dropped" "${WORK}/err.txt" || fail "no long-prompt warning: $(cat "${WORK}/err.txt")"
grep -q "zebra stripes at the end" "${WORK}/err.txt" || fail "the warning does not show the dropped part: $(cat "${WORK}/err.txt")"
"${CLI}" generate "${SD[@]}" --prompt "a face" --out "${WORK}/a_file" 2> "${WORK}/err.txt" || true
if grep -q "dropped\|given as" "${WORK}/err.txt"; then fail "warnings for a short prompt and right roles: $(cat "${WORK}/err.txt")"; fi

# --- an existing project: refused without --force; --force replaces it whole; previews beside ---
"${CLI}" generate "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/proj" --seed 1 > /dev/null 2>&1 || fail "first generate"
cp -r "${WORK}/proj" "${WORK}/proj_before"
expect_early_failure 10 "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/proj" --seed 2
grep -q -- "--force" "${WORK}/err.txt" || fail "existing project: $(cat "${WORK}/err.txt")"
diff -r "${WORK}/proj" "${WORK}/proj_before" > /dev/null || fail "a refused generate changed the project"
"${CLI}" generate "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/proj" --seed 2 --force --preview-every 1 \
  > "${WORK}/out.txt" 2>&1 || { cat "${WORK}/out.txt" >&2; fail "generate --force"; }
grep -q '"seed": 2' "${WORK}"/proj/entries/*/entry.json || fail "generate --force did not replace the project"
[[ ! -e "${WORK}/proj/previews" ]] || fail "previews were written into --out"
ls "${WORK}/proj.previews/"geometry_0001.png > /dev/null || fail "no previews beside --out: $(entries "${WORK}")"
[[ "$(entries "${WORK}")" != *".proj."* ]] || fail "temporary folders left: $(entries "${WORK}")"
# Previews of an earlier run are not mixed with a new run's.
expect_early_failure 10 "${TARGET[@]}" "${FAST[@]}" --out "${WORK}/proj2" --preview-every 1 --previews "${WORK}/proj.previews"
grep -q "earlier run" "${WORK}/err.txt" || fail "earlier previews: $(cat "${WORK}/err.txt")"
[[ ! -e "${WORK}/proj2" ]] || fail "a refused run created --out"

# --- full disk: the old project survives whole, nothing else is left ------------------------------
DISK="${WORK}/disk"
if try_tmpfs "${DISK}" size=48m; then
  "${CLI}" new --face-model "${MODEL}" --out "${DISK}/old" > /dev/null
  cp -r "${DISK}/old" "${WORK}/old_copy"
  avail=$(df --output=avail -B1 "${DISK}" | tail -1)
  head -c $((avail - 64 * 1024)) /dev/zero > "${DISK}/filler" 2> /dev/null || true
  if "${CLI}" generate "${TARGET[@]}" "${FAST[@]}" --out "${DISK}/old" --force > /dev/null 2> "${WORK}/err.txt"; then
    fail "generate succeeded on a full disk"
  fi
  diff -r "${DISK}/old" "${WORK}/old_copy" > /dev/null || fail "a failed generate on a full disk changed the old project"
  [[ "$(entries "${DISK}")" == "filler old " ]] || fail "full disk left: $(entries "${DISK}")"
  rm -f "${DISK}/filler"
  "${CLI}" generate "${TARGET[@]}" "${FAST[@]}" --out "${DISK}/new" > /dev/null 2>&1 || fail "generate on the freed disk"
else
  echo "SKIP: cannot mount a small tmpfs here (needs root); full-disk generate not tested"
fi

# --- --help shows every default ------------------------------------------------------------------
"${CLI}" generate --help > "${WORK}/help.txt"
for opt in --seed --stages --preview-every --lr-geometry --lr-texture --steps-geometry --device --guidance; do
  # CLI11 prints "--seed UINT=0": the type, then "=" and the default.
  grep -qE -- "^ *${opt} [A-Z]+[^ ]*=" "${WORK}/help.txt" || fail "--help shows no default for ${opt}: $(grep -- "${opt} " "${WORK}/help.txt")"
done
grep -- "--steps-geometry" "${WORK}/help.txt" | grep -q "400 with --guidance target" || fail "--help: mode defaults"
echo "generate fails early and writes whole folders: OK"
