#!/usr/bin/env bash
# The Khronos glTF-Validator on faceg2e-cli's GLB export, as a user would run it: the default
# face and a non-default face (identity, expression and albedo set), both at 1K, must give 0
# errors and 0 warnings. Usage: glb_validator_test.sh FACEG2E_CLI SHARED_DIR VALIDATOR_DIR
set -euo pipefail
CLI="$1"
ICT="$2/data/ict-facekit"
VALIDATOR="$3/validate.mjs"
MODEL="${ICT}/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-glb-validator.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed (scripts/test.sh installs it)"
[[ -f "$3/node_modules/gltf-validator/package.json" ]] ||
  fail "gltf-validator is not installed: run 'npm ci' in $3 (scripts/test.sh does)"

validate() {  # FILE: report next to it, 0 errors and 0 warnings
  node "${VALIDATOR}" "$1" "$1.report.json" || fail "validator on $1 (exit $?)"
  # The report itself, read independently of validate.mjs's verdict.
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
           if (r.issues.numErrors !== 0 || r.issues.numWarnings !== 0) process.exit(1);
           const i = r.info || {};
           if (!i.hasMorphTargets || !i.hasTextures || i.drawCallCount !== 4) process.exit(3);' \
    "$1.report.json" || fail "report of $1: errors, warnings, or not 4 primitives with targets and a texture"
}

# The default face.
"${CLI}" export --face-model "${MODEL}" --out "${WORK}/default" --format glb --texture-size 1024 > /dev/null
[[ -s "${WORK}/default/face.glb" ]] || fail "no GLB for the default face"
validate "${WORK}/default/face.glb"

# A non-default face: identity, expression (jaw open, asymmetric smile) and an albedo.
echo '{"coefficients": [1.5, -2.0, 0.5, 0.0, 1.0]}' > "${WORK}/id.json"
EXPR='[0, 0, 0.3, 0.3, 0, 0, 0.2, 0.2, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.6]'
echo "${EXPR}" > "${WORK}/ex.json"
"${CLI}" new --face-model "${MODEL}" --out "${WORK}/proj" --identity "${WORK}/id.json" \
  --expression "${WORK}/ex.json" --albedo "${ICT}/regions_uv_labels_1024.png" > /dev/null
"${CLI}" export --face-model "${MODEL}" --project "${WORK}/proj" --out "${WORK}/face" --texture-size 1024 > /dev/null
for f in face.obj face.mtl face_albedo.png face.glb face.json; do
  [[ -s "${WORK}/face/${f}" ]] || fail "export --format all: ${f} missing"
done
validate "${WORK}/face/face.glb"
grep -q '"vertex_map"' "${WORK}/face/face.json" || fail "sidecar has no GLB vertex map"

# Model names validate too.
"${CLI}" export --face-model "${MODEL}" --project "${WORK}/proj" --out "${WORK}/model_names" \
  --format glb --blendshape-names model > /dev/null
validate "${WORK}/model_names/face.glb"
# --format obj writes no GLB; an unknown format or name mode is refused.
"${CLI}" export --face-model "${MODEL}" --out "${WORK}/obj_only" --format obj > /dev/null
[[ -s "${WORK}/obj_only/face.obj" && ! -e "${WORK}/obj_only/face.glb" ]] || fail "--format obj"
if "${CLI}" export --face-model "${MODEL}" --out "${WORK}/x" --format fbx 2> /dev/null; then fail "--format fbx accepted"; fi
if "${CLI}" export --face-model "${MODEL}" --out "${WORK}/x" --blendshape-names apple 2> /dev/null; then
  fail "--blendshape-names apple accepted"
fi
echo "glb validator: OK"
