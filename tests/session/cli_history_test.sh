#!/usr/bin/env bash
# `faceg2e-cli new`, `history list|undo|redo|goto|show` and `export` of the entry at the cursor.
# Usage: cli_history_test.sh FACEG2E_CLI SHARED_DIR APPEND_EDIT_TOOL
set -euo pipefail
CLI="$1"
MODEL="$2/data/ict-facekit/ict_facekit_full.f3dm"
APPEND="$3"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-cli-history.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P="${WORK}/proj"

echo '{"coefficients": [1.0, -2.0, 0.5]}' > "${WORK}/id.json"
"${CLI}" new --face-model "${MODEL}" --out "${P}" --identity "${WORK}/id.json" > /dev/null
grep -q '"format_version": 2' "${P}/project.json" || fail "new did not write format 2"
[[ "$(ls "${P}/entries" | wc -l)" == 1 ]] || fail "new: expected one entry folder"
"${CLI}" history --project "${P}" list > "${WORK}/list0.txt"
[[ "$(wc -l < "${WORK}/list0.txt")" == 1 ]] || fail "list: $(cat "${WORK}/list0.txt")"
grep -q '^\*   0  new' "${WORK}/list0.txt" || fail "list marks the cursor: $(cat "${WORK}/list0.txt")"
"${CLI}" history --project "${P}" show 0 > "${WORK}/show0.txt"
grep -q "face_model" "${WORK}/show0.txt" || fail "show: no face-model record"
sha="$(sha256sum "${MODEL}" | cut -d' ' -f1)"
grep -q "sha256 ${sha}" "${WORK}/show0.txt" || fail "show: face model hash is not the file's SHA-256"

# undo at the first entry is an error that says so.
if "${CLI}" history --project "${P}" undo 2> "${WORK}/err.txt"; then fail "undo at entry 0 succeeded"; fi
grep -q "nothing to undo" "${WORK}/err.txt" || fail "undo error: $(cat "${WORK}/err.txt")"

"${APPEND}" "${P}" "make her lips red"
"${APPEND}" "${P}" "give him a beard"
"${CLI}" history --project "${P}" list > "${WORK}/list2.txt"
[[ "$(wc -l < "${WORK}/list2.txt")" == 3 ]] || fail "list after two edits: $(cat "${WORK}/list2.txt")"
grep -q '^\*   2  edit .*"give him a beard"' "${WORK}/list2.txt" || fail "list: $(cat "${WORK}/list2.txt")"

ex() { "${CLI}" export --face-model "${MODEL}" --project "${P}" --out "$1" > /dev/null; }
ex "${WORK}/e2"
[[ -s "${WORK}/e2/face_weights.png" ]] || fail "export of an edit wrote no face_weights.png"
grep -q '"give him a beard"' "${WORK}/e2/face.json" || fail "sidecar: no history text"
grep -q '"make her lips red"' "${WORK}/e2/face.json" || fail "sidecar: not the whole history"
grep -q "${sha}" "${WORK}/e2/face.json" || fail "sidecar: no model hash"

"${CLI}" history --project "${P}" undo | grep -q "cursor at 1 of 3" || fail "undo output"
ex "${WORK}/e1"
cmp -s "${WORK}/e1/face.obj" "${WORK}/e2/face.obj" && fail "undo did not change the export"
"${CLI}" history --project "${P}" redo | grep -q "cursor at 2 of 3" || fail "redo output"
ex "${WORK}/e2b"
for f in face.obj face.mtl face_albedo.png face_weights.png; do
  cmp "${WORK}/e2/${f}" "${WORK}/e2b/${f}" || fail "undo+redo: ${f} differs"
done
"${CLI}" history --project "${P}" goto 0 > /dev/null
ex "${WORK}/e0"
[[ ! -e "${WORK}/e0/face_weights.png" ]] || fail "export of the new entry wrote a W map"
if "${CLI}" history --project "${P}" goto 7 2> "${WORK}/err.txt"; then fail "goto 7 succeeded"; fi
grep -q "no history entry 7" "${WORK}/err.txt" || fail "goto error: $(cat "${WORK}/err.txt")"

# A new edit at the cursor drops the redo tail; the folders agree.
"${APPEND}" "${P}" "make the nose smaller"
"${CLI}" history --project "${P}" list > "${WORK}/list3.txt"
[[ "$(wc -l < "${WORK}/list3.txt")" == 2 ]] || fail "tail not dropped: $(cat "${WORK}/list3.txt")"
[[ "$(ls "${P}/entries" | wc -l)" == 2 ]] || fail "entry folders: $(ls "${P}/entries")"
echo "cli history: OK"
