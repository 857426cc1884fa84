#!/usr/bin/env bash
# `faceg2e-cli edit` end to end with the tiny random fixture InstructPix2Pix checkpoint (single
# file, A1111 style) on the CPU: one edit per scope, each appended at the cursor of a project
# made by `new`; a failed edit adds nothing; --models finds the IP2P model by inspection.
# Usage: edit_fixture_cli.sh FACEG2E_CLI SHARED_DIR
set -euo pipefail
CLI="$1"
SET="$2/fixtures/sd-reference"
IP2P="${SET}/checkpoints/ip2p_ldm.safetensors"
MODEL="$2/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-edit-fixture.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P="${WORK}/proj"
SMALL=(--face-model "${MODEL}" --project "${P}" --steps 3 --render-size 64 --vae-size 64
       --texture-atlas-size 64 --warmup 1 --seed 2)
entries() { find "${P}/entries" -mindepth 1 -maxdepth 1 -type d | wc -l; }
cursor() { tr -d ' \n' < "${P}/project.json" | sed -n 's/.*"cursor":\([0-9]*\).*/\1/p'; }

"${CLI}" new --face-model "${MODEL}" --out "${P}" > /dev/null

# Texture: the edited word's attention drives W, inside a lips lock, with the UV texture prior
# (the SD 1.x fixture UNet, which shares the IP2P model's text width).
"${CLI}" edit "${SMALL[@]}" --instruction "make her lips red" --scope texture --word lips --regions lips \
  --ip2p "${IP2P}" --texture-prior "${SET}/models/unet_sd1" > "${WORK}/out1.txt" 2> "${WORK}/log1.txt" \
  || { cat "${WORK}/log1.txt" >&2; fail "texture edit"; }
grep -q "unet_sd1" "${P}"/entries/*/entry.json || fail "entry.json does not record the texture prior"
[[ "$(cursor)" == 1 ]] || fail "cursor after the texture edit: $(cursor) ($(cat "${P}/project.json"))"
[[ "$(entries)" == 2 ]] || fail "entries after the texture edit: $(entries)"
ls "${P}"/entries/*/weights.safetensors > /dev/null 2>&1 || fail "the edit entry has no weights.safetensors"
grep -q "lips" "${P}"/entries/*/entry.json || fail "entry.json does not record the edited word"
grep -q "make her lips red" "${P}"/entries/*/entry.json || fail "entry.json does not record the instruction"

# Geometry, with an explicit token index and the attention-masked SDS.
"${CLI}" edit "${SMALL[@]}" --instruction "make her nose bigger" --scope geometry --token-index 3 \
  --attention-sds --ip2p "${IP2P}" > "${WORK}/out2.txt" 2> "${WORK}/log2.txt" \
  || { cat "${WORK}/log2.txt" >&2; fail "geometry edit"; }
[[ "$(cursor)" == 2 ]] || fail "cursor after the geometry edit: $(cursor)"

# Expression, the IP2P model found by --models (a folder scanned for roles).
mkdir -p "${WORK}/models/Stable-diffusion"
ln -s "${IP2P}" "${WORK}/models/Stable-diffusion/instruct-pix2pix.safetensors"
"${CLI}" edit "${SMALL[@]}" --instruction "make him smile" --scope expression --word smile \
  --models "${WORK}/models" > "${WORK}/out3.txt" 2> "${WORK}/log3.txt" \
  || { cat "${WORK}/log3.txt" >&2; fail "expression edit with --models"; }
[[ "$(cursor)" == 3 ]] || fail "cursor after the expression edit: $(cursor)"
[[ "$(entries)" == 4 ]] || fail "entries after three edits: $(entries)"

# A failed edit (a word the instruction does not contain) adds nothing and names the word.
cp "${P}/project.json" "${WORK}/before.json"
if "${CLI}" edit "${SMALL[@]}" --instruction "make her lips red" --word nose --ip2p "${IP2P}" \
    > /dev/null 2> "${WORK}/err.txt"; then
  fail "edit accepted a word that is not in the instruction"
fi
grep -q "nose" "${WORK}/err.txt" || fail "the error does not name the word: $(cat "${WORK}/err.txt")"
cmp -s "${P}/project.json" "${WORK}/before.json" || fail "a failed edit changed project.json"
[[ "$(entries)" == 4 ]] || fail "a failed edit left an entry folder"
# A model that is not InstructPix2Pix is refused by role.
if "${CLI}" edit "${SMALL[@]}" --instruction "make her lips red" --ip2p "${SET}/checkpoints/sd1_ldm.safetensors" \
    > /dev/null 2> "${WORK}/err2.txt"; then
  fail "edit accepted an SD 1.x checkpoint as IP2P"
fi
cmp -s "${P}/project.json" "${WORK}/before.json" || fail "a refused model changed project.json"

# The edited project exports.
"${CLI}" export --face-model "${MODEL}" --project "${P}" --out "${WORK}/exp" > /dev/null
for f in face.obj face.mtl face_albedo.png; do [[ -s "${WORK}/exp/${f}" ]] || fail "export: ${f}"; done
echo "edit with the fixture IP2P model: OK"
