#!/usr/bin/env bash
# `faceg2e-cli generate` end to end with the tiny random fixture models in their single-file
# (A1111-style) formats: SD 2.x for geometry, SD 1.x + lllyasviel ControlNet for texture, the
# diffusers SD 1.x UNet folder as UV texture prior. A few steps at small sizes: this checks
# that everything loads, runs, writes previews and a project, and that the project exports.
# Usage: generate_fixture_cli.sh FACEG2E_CLI SHARED_DIR
set -euo pipefail
CLI="$1"
SET="$2/fixtures/sd-reference"
CK="${SET}/checkpoints"
MODEL="$2/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-gen-fixture.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A missing model is named by its role and flag.
if "${CLI}" generate --face-model "${MODEL}" --out "${WORK}/none" --prompt "a face" --stages geometry \
    --models "${WORK}" 2> "${WORK}/err.txt"; then
  fail "generate ran without a geometry model"
fi
grep -q -- "--sd21" "${WORK}/err.txt" || fail "missing-model message: $(cat "${WORK}/err.txt")"
[[ ! -e "${WORK}/none" ]] || fail "a failed run wrote its output"

"${CLI}" generate --face-model "${MODEL}" --out "${WORK}/proj" --prompt "a portrait of an old man" \
  --sd21 "${CK}/sd2_ldm.safetensors" --sd15 "${CK}/sd1_ldm.safetensors" \
  --controlnet-depth "${CK}/controlnet_sd1_lllyasviel.safetensors" \
  --texture-prior "${SET}/models/unet_sd1" \
  --steps-geometry 3 --steps-texture 4 --render-size-geometry 64 --render-size-texture 64 \
  --vae-size 64 --texture-atlas-size 64 --preview-every 2 --seed 3 > "${WORK}/out.txt" 2> "${WORK}/log.txt" \
  || { cat "${WORK}/log.txt" >&2; fail "generate with the fixture models"; }

P="${WORK}/proj"
# A format-2 project with one entry (core/session/project_store.h); the run's record is the
# entry's params.
[[ "$(ls "${P}/entries" | wc -l)" == 1 ]] || fail "generate: expected one history entry ($(ls -R "${P}" | tr '\n' ' '))"
E="entries/$(ls "${P}/entries")"
for f in project.json "${E}/entry.json" "${E}/state.safetensors"; do
  [[ -s "${P}/${f}" ]] || fail "generate did not write ${f} ($(ls -R "${P}" | tr '\n' ' '))"
done
# Previews go beside the project, never into it.
for f in geometry_0002.png texture_0002.png texture_0004.png; do
  [[ -s "${P}.previews/${f}" ]] || fail "generate did not write the preview ${f} ($(ls -R "${WORK}" | tr '\n' ' '))"
done
[[ ! -e "${P}/previews" ]] || fail "previews inside the project folder"
R="${P}/${E}/entry.json"
grep -q '"kind": *"generate"' "${R}" || fail "the entry is not a generate"
grep -q '"stages": *\[' "${R}" || fail "entry.json has no stages"
tr -d ' \n' < "${R}" | grep -q '"stages":\["geometry","texture"\]' || fail "stages in entry.json"
grep -q "unet_sd1" "${R}" || fail "entry.json does not record the UV prior"
grep -q "sd2_ldm" "${R}" || fail "entry.json does not record the geometry model"

# The project exports as a valid textured mesh.
"${CLI}" export --face-model "${MODEL}" --project "${P}" --out "${WORK}/exp" > /dev/null
for f in face.obj face.mtl face_albedo.png face.json; do [[ -s "${WORK}/exp/${f}" ]] || fail "export: ${f}"; done
[[ "$(grep -c '^v ' "${WORK}/exp/face.obj")" == 26719 ]] || fail "export: vertex count"
TRIS="$(grep -c '^f ' "${WORK}/exp/face.obj")"
(( TRIS > 48000 && TRIS < 52220 )) || fail "export: triangle count ${TRIS} (drawn triangles only)"
grep -q "^map_Kd face_albedo.png$" "${WORK}/exp/face.mtl" || fail "export: map_Kd"
# The generated texture differs from the default face's.
"${CLI}" export --face-model "${MODEL}" --out "${WORK}/default" > /dev/null
if cmp -s "${WORK}/exp/face_albedo.png" "${WORK}/default/face_albedo.png"; then
  fail "the texture stage left the default albedo unchanged"
fi
"${CLI}" compare --face-model "${MODEL}" "${WORK}/exp" "${WORK}/default" | tee "${WORK}/cmp.txt"
grep -q "vertex_rmse_cm: 0.0000" "${WORK}/cmp.txt" && fail "the geometry stage left the default shape"
grep -q "identity_coef_rmse: 0.0000" "${WORK}/cmp.txt" && fail "compare: no identity coefficient change"
grep -q "^identity_coef_rmse: " "${WORK}/cmp.txt" || fail "compare: no identity coefficient RMSE"
# A corrupt sidecar is reported by name, not read as zeros.
cp -r "${WORK}/exp" "${WORK}/exp_bad" && echo '{"coefficients": {"identity": [1, "x"]}}' > "${WORK}/exp_bad/face.json"
if "${CLI}" compare --face-model "${MODEL}" "${WORK}/exp_bad" "${WORK}/default" > /dev/null 2> "${WORK}/bad.txt"; then
  fail "compare accepted a corrupt face.json"
fi
grep -q "face.json" "${WORK}/bad.txt" || fail "compare's error does not name face.json: $(cat "${WORK}/bad.txt")"
echo "generate with fixture models: OK"
