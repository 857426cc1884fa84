#!/usr/bin/env bash
# End-to-end checks of the face commands of faceg2e-cli: import-ict, info, new, export.
# Usage: cli_face_test.sh FACEG2E_CLI SHARED_DIR
set -euo pipefail
CLI="$1"
ICT="$2/data/ict-facekit"
MODEL="${ICT}/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-cli-face.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# info: summary of a good model.
"${CLI}" info --face-model "${MODEL}" > "${WORK}/info.txt"
grep -q "vertices: *26719" "${WORK}/info.txt" || fail "info: vertex count"
grep -q "triangles: *52220" "${WORK}/info.txt" || fail "info: triangle count"
grep -q "jawOpen" "${WORK}/info.txt" || fail "info: expression names"
grep -q "MIT License" "${WORK}/info.txt" || fail "info: licence"

# info on a truncated model: non-zero exit and a message naming the file.
head -c 100000 "${MODEL}" > "${WORK}/cut.f3dm"
if "${CLI}" info --face-model "${WORK}/cut.f3dm" 2> "${WORK}/err.txt"; then fail "info accepted a truncated file"; fi
grep -q "cut.f3dm" "${WORK}/err.txt" || fail "info error does not name the file: $(cat "${WORK}/err.txt")"

# import-ict on the raw subset writes a model that info accepts.
"${CLI}" import-ict "${ICT}/raw-subset" "${WORK}/subset.f3dm" 2> "${WORK}/import.txt"
grep -q "missing .*identity002.obj" "${WORK}/import.txt" || fail "import-ict does not warn about missing modes"
"${CLI}" info --face-model "${WORK}/subset.f3dm" | grep -q "identity: *2 modes" || fail "imported model"

# new: too many coefficients is an error.
{ printf "["; for _ in $(seq 1 100); do printf "0.1, "; done; printf "0.1]\n"; } > "${WORK}/too_many.json"
if "${CLI}" new --face-model "${MODEL}" --out "${WORK}/bad" --identity "${WORK}/too_many.json" 2> "${WORK}/err.txt"; then
  fail "new accepted 101 identity coefficients"
fi
grep -q "101 identity coefficients" "${WORK}/err.txt" || fail "new error message: $(cat "${WORK}/err.txt")"
[[ ! -e "${WORK}/bad/project.json" ]] || fail "new wrote a project despite the error"

# new + export --project: OBJ, MTL, PNG at the requested size, sidecar.
echo '{"coefficients": [1.0, -2.0, 0.5]}' > "${WORK}/id.json"
echo '[0, 0, 0.8]' > "${WORK}/ex.json"
"${CLI}" new --face-model "${MODEL}" --out "${WORK}/proj" --identity "${WORK}/id.json" --expression "${WORK}/ex.json" > /dev/null
[[ -f "${WORK}/proj/project.json" ]] || fail "new wrote no project.json"
"${CLI}" export --face-model "${MODEL}" --project "${WORK}/proj" --out "${WORK}/exp" --texture-size 2048 > /dev/null
for f in face.obj face.mtl face_albedo.png face.json; do [[ -s "${WORK}/exp/${f}" ]] || fail "export: ${f} missing"; done
[[ "$(grep -c '^v ' "${WORK}/exp/face.obj")" == 26719 ]] || fail "export: vertex count"
# 52,220 in the model, less the 3,384 eyelash and eye-overlay triangles that are not drawn.
[[ "$(grep -c '^f ' "${WORK}/exp/face.obj")" == 48836 ]] || fail "export: triangle count"
grep -q "^map_Kd face_albedo.png$" "${WORK}/exp/face.mtl" || fail "export: map_Kd"
# PNG IHDR: width and height are big-endian uint32 at bytes 16..23.
size="$(od -An -tu1 -j16 -N8 "${WORK}/exp/face_albedo.png" | tr -s ' ' | sed 's/^ //')"
[[ "${size}" == "0 0 8 0 0 0 8 0" ]] || fail "export: texture is not 2048x2048 (IHDR bytes ${size})"
# Export without a project: the default face.
"${CLI}" export --face-model "${MODEL}" --out "${WORK}/default" > /dev/null
[[ -s "${WORK}/default/face.obj" ]] || fail "default export"
# A bad texture size is refused.
if "${CLI}" export --face-model "${MODEL}" --out "${WORK}/x" --texture-size 1000 2> /dev/null; then fail "texture size 1000 accepted"; fi
echo "cli face commands: OK"
