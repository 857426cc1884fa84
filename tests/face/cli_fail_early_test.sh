#!/usr/bin/env bash
# Output folders of `new` and `export` are written whole, never over something without --force,
# and bad settings fail in the first seconds with a clear message (issue 11). Also the OBJ units
# and messages for files that are not models.
# Usage: cli_fail_early_test.sh FACEG2E_CLI SHARED_DIR
set -euo pipefail
CLI="$1"
MODEL="$2/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-fail-early.XXXXXX")"
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount -l "$m" 2> /dev/null || true; done
  rm -rf "${WORK}"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Mounts a tmpfs (options $2) on $1; false where this process may not mount (not root).
try_tmpfs() {
  mkdir -p "$1"
  if mount -t tmpfs -o "$2" tmpfs "$1" 2> /dev/null; then MOUNTS+=("$1"); return 0; fi
  return 1
}
# Exactly the entries of a folder, sorted, hidden ones included.
entries() { (cd "$1" && ls -A | sort | tr '\n' ' '); }
# Runs the CLI, expecting failure within $1 seconds; stderr goes to ${WORK}/err.txt.
expect_fast_failure() {
  local limit="$1"; shift
  local t0=${SECONDS}
  if "${CLI}" "$@" > /dev/null 2> "${WORK}/err.txt"; then fail "succeeded: $*"; fi
  (( SECONDS - t0 <= limit )) || fail "took $((SECONDS - t0)) s to fail (limit ${limit}): $*"
}

# --- new: an existing project is refused without --force, replaced whole with it -------------
echo '[1.0, -1.0]' > "${WORK}/id1.json"
echo '[-0.5]' > "${WORK}/id2.json"
"${CLI}" new --face-model "${MODEL}" --out "${WORK}/proj" --identity "${WORK}/id1.json" > /dev/null
cp -r "${WORK}/proj" "${WORK}/proj_before"
expect_fast_failure 5 new --face-model "${MODEL}" --out "${WORK}/proj" --identity "${WORK}/id2.json"
grep -q -- "--force" "${WORK}/err.txt" || fail "refusal does not name --force: $(cat "${WORK}/err.txt")"
grep -q "existing project" "${WORK}/err.txt" || fail "refusal does not say it is a project: $(cat "${WORK}/err.txt")"
diff -r "${WORK}/proj" "${WORK}/proj_before" > /dev/null || fail "a refused new changed the project"
touch "${WORK}/proj/stale_preview.png"
"${CLI}" new --face-model "${MODEL}" --out "${WORK}/proj" --identity "${WORK}/id2.json" --force > /dev/null
# Format 2: the one entry's record names the identity file it was made from.
grep -q "id2.json" "${WORK}"/proj/entries/*/entry.json || fail "new --force did not write the new identity"
[[ ! -e "${WORK}/proj/stale_preview.png" ]] || fail "new --force left a file of the old folder beside the new one"
[[ "$(entries "${WORK}")" != *".proj."* ]] || fail "temporary folders left behind: $(entries "${WORK}")"

# --- --out is an existing file ---------------------------------------------------------------
echo "not a folder" > "${WORK}/a_file"
expect_fast_failure 5 new --face-model "${MODEL}" --out "${WORK}/a_file"
grep -q "existing file" "${WORK}/err.txt" || fail "--out file message: $(cat "${WORK}/err.txt")"
expect_fast_failure 5 export --face-model "${MODEL}" --out "${WORK}/a_file" --force
grep -q "existing file" "${WORK}/err.txt" || fail "export --out file message: $(cat "${WORK}/err.txt")"
[[ "$(cat "${WORK}/a_file")" == "not a folder" ]] || fail "the file given as --out was changed"

# --- read-only parent --------------------------------------------------------------------------
RO="${WORK}/ro"
if [[ "$(id -u)" == 0 ]]; then
  # chmod does not stop root; a read-only mount does.
  if try_tmpfs "${RO}" size=1m && mount -o remount,ro "${RO}"; then
    expect_fast_failure 5 export --face-model "${MODEL}" --out "${RO}/exp"
    grep -q "cannot write" "${WORK}/err.txt" || fail "read-only message: $(cat "${WORK}/err.txt")"
    grep -q "read-only" "${WORK}/err.txt" || fail "read-only message: $(cat "${WORK}/err.txt")"
  else
    echo "SKIP: cannot mount a read-only tmpfs here; read-only --out not tested"
  fi
else
  mkdir -p "${RO}" && chmod 555 "${RO}"
  expect_fast_failure 5 export --face-model "${MODEL}" --out "${RO}/exp"
  grep -q "cannot write" "${WORK}/err.txt" || fail "read-only message: $(cat "${WORK}/err.txt")"
  chmod 755 "${RO}"
fi

# --- export: refused over an existing export, replaced whole with --force; units -------------
"${CLI}" export --face-model "${MODEL}" --project "${WORK}/proj" --out "${WORK}/exp" > /dev/null
expect_fast_failure 5 export --face-model "${MODEL}" --out "${WORK}/exp"
grep -q -- "--force" "${WORK}/err.txt" || fail "export refusal: $(cat "${WORK}/err.txt")"
# Metres by default, in the OBJ and the sidecar; a head is tens of centimetres tall, not metres.
grep -q '"units": "metres"' "${WORK}/exp/face.json" || fail "sidecar units (default)"
height() { awk '$1 == "v" { if (n++ == 0 || $3 < lo) lo = $3; if (n == 1 || $3 > hi) hi = $3 } END { print hi - lo }' "$1"; }
h_m="$(height "${WORK}/exp/face.obj")"
awk -v h="${h_m}" 'BEGIN { exit !(h > 0.15 && h < 0.6) }' || fail "default export is not in metres (height ${h_m})"
"${CLI}" export --face-model "${MODEL}" --project "${WORK}/proj" --out "${WORK}/exp_cm" --units cm > /dev/null
grep -q '"units": "centimetres"' "${WORK}/exp_cm/face.json" || fail "sidecar units (cm)"
h_cm="$(height "${WORK}/exp_cm/face.obj")"
awk -v a="${h_m}" -v b="${h_cm}" 'BEGIN { exit !(b > 99.9 * a && b < 100.1 * a) }' || fail "cm export is not 100x the metres one (${h_cm} vs ${h_m})"
"${CLI}" compare --face-model "${MODEL}" "${WORK}/exp" "${WORK}/exp_cm" | grep -q "vertex_rmse_cm: 0.0000" \
  || fail "compare does not read the units (metres vs cm export of the same face differ)"
if "${CLI}" export --face-model "${MODEL}" --out "${WORK}/exp_mm" --units mm 2> /dev/null; then fail "--units mm accepted"; fi
# No eyelashes or eye overlays in the export (the black band / dark crescents).
if grep -q "M_EyeLashes\|M_EyeOcclusion" "${WORK}/exp/face.obj"; then fail "export still draws lashes / eye occlusion"; fi
grep -q "hidden_triangles" "${WORK}/exp/face.json" || fail "sidecar does not say which triangles are hidden"

# --- --help shows the defaults -----------------------------------------------------------------
"${CLI}" export --help > "${WORK}/help.txt"
grep -- "--texture-size" "${WORK}/help.txt" | grep -q "1024" || fail "export --help: no --texture-size default"
grep -- "--units" "${WORK}/help.txt" | grep -q "=m " || fail "export --help: no --units default"

# --- kill -9 during an export with --force: the old export or the new one, never a mix ---------
# old: 1024 px, centimetres; new: 2048 px, metres. Each file says which it belongs to.
"${CLI}" export --format obj --face-model "${MODEL}" --out "${WORK}/k9" --units cm > /dev/null
png_size() { od -An -tu1 -j16 -N4 "$1" | tr -s ' ' | sed 's/^ //'; }
check_whole() {
  local d="$1"
  [[ "$(entries "$d")" == "face.json face.mtl face.obj face_albedo.png " ]] || fail "kill -9: files $(entries "$d")"
  local u s o
  u="$(grep -o '"units": "[a-z]*"' "$d/face.json")"
  s="$(png_size "$d/face_albedo.png")"
  o="$(head -1 "$d/face.obj")"
  if [[ "$u" == *centimetres* ]]; then
    [[ "$s" == "0 0 4 0" && "$o" == *"Units: centimetres"* ]] || fail "kill -9 left a mix: json cm, png '$s', obj '$o'"
    echo old
  else
    [[ "$s" == "0 0 8 0" && "$o" == *"Units: metres"* ]] || fail "kill -9 left a mix: json m, png '$s', obj '$o'"
    echo new
  fi
}
# One uninterrupted run gives its duration; the kills land at fractions of it, the late ones
# around the swap at the end.
t0=$(date +%s.%N)
"${CLI}" export --format obj --face-model "${MODEL}" --out "${WORK}/k9" --force --texture-size 2048 > /dev/null
dur=$(awk -v a="${t0}" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
[[ "$(check_whole "${WORK}/k9")" == new ]] || fail "an uninterrupted export did not replace the old one"
"${CLI}" export --format obj --face-model "${MODEL}" --out "${WORK}/k9" --units cm --force > /dev/null
seen=""
for frac in 0.3 0.7 0.9 0.97 1.02; do
  delay=$(awk -v d="${dur}" -v f="${frac}" 'BEGIN { print d * f }')
  "${CLI}" export --format obj --face-model "${MODEL}" --out "${WORK}/k9" --force --texture-size 2048 > /dev/null 2>&1 &
  pid=$!
  sleep "${delay}"
  kill -9 "${pid}" 2> /dev/null || true
  wait "${pid}" 2> /dev/null || true
  seen+="$(check_whole "${WORK}/k9") "
  # Back to the old export for the next round.
  "${CLI}" export --format obj --face-model "${MODEL}" --out "${WORK}/k9" --units cm --force > /dev/null
done
echo "kill -9 during export (uninterrupted run ${dur} s): ${seen}"
[[ "$(entries "${WORK}")" != *".k9."* ]] || fail "kill -9 leftovers not cleaned by the next run: $(entries "${WORK}")"

# --- full disk: the old export survives intact, or nothing is left ------------------------------
DISK="${WORK}/disk"
if try_tmpfs "${DISK}" size=1m; then
  # The texture fits, the OBJ (3.5 MB) does not: the files written before it must not stay.
  expect_fast_failure 60 export --face-model "${MODEL}" --out "${DISK}/exp"
  [[ -z "$(entries "${DISK}")" ]] || fail "full disk left: $(entries "${DISK}")"
  grep -qi "disk full\|no space" "${WORK}/err.txt" || fail "full-disk message: $(cat "${WORK}/err.txt")"
  "${CLI}" new --face-model "${MODEL}" --out "${DISK}/old" --identity "${WORK}/id1.json" > /dev/null
  cp -r "${DISK}/old" "${WORK}/old_copy"
  expect_fast_failure 60 export --face-model "${MODEL}" --out "${DISK}/old" --force
  diff -r "${DISK}/old" "${WORK}/old_copy" > /dev/null || fail "a failed export on a full disk changed the old folder"
  [[ "$(entries "${DISK}")" == "old " ]] || fail "full disk left: $(entries "${DISK}")"
else
  echo "SKIP: cannot mount a small tmpfs here (needs root); full-disk export not tested"
fi

# --- settings that point nowhere, files that are not models ---------------------------------
if FACEG2E_FACE_MODEL="${WORK}/missing.f3dm" "${CLI}" info > /dev/null 2> "${WORK}/err.txt"; then
  fail "a FACEG2E_FACE_MODEL that points nowhere was ignored"
fi
grep -q "FACEG2E_FACE_MODEL" "${WORK}/err.txt" || fail "message does not name FACEG2E_FACE_MODEL: $(cat "${WORK}/err.txt")"
echo '{"_class_name": "UNet2DConditionModel", "in_channels": 4, "sample_size": 64, "padding": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' > "${WORK}/model.json"
if "${CLI}" diagnose model --no-load --model "${WORK}/model.json" > /dev/null 2> "${WORK}/err.txt"; then fail "diagnose model accepted a JSON file"; fi
grep -q "not a safetensors file" "${WORK}/err.txt" || fail "JSON given as a model: $(cat "${WORK}/err.txt")"
mkdir -p "${WORK}/notamodel" && echo x > "${WORK}/notamodel/readme.txt"
if "${CLI}" diagnose model --no-load --model "${WORK}/notamodel" > /dev/null 2> "${WORK}/err.txt"; then fail "diagnose model accepted a plain folder"; fi
grep -q "model_index.json" "${WORK}/err.txt" || fail "folder given as a model: $(cat "${WORK}/err.txt")"
echo "fail-early face commands: OK"
