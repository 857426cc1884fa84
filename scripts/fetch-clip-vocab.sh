#!/usr/bin/env bash
# Installs OpenAI's CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz, MIT licence, from the
# openai/CLIP repository) where FaceG2E looks for it:
#   ${XDG_DATA_HOME:-~/.local/share}/faceg2e/clip/bpe_simple_vocab_16e6.txt.gz
# Only single-file checkpoints need it: diffusers folders carry their own tokenizer/.
set -euo pipefail

URL="https://raw.githubusercontent.com/openai/CLIP/main/clip/bpe_simple_vocab_16e6.txt.gz"
DEST="${XDG_DATA_HOME:-${HOME}/.local/share}/faceg2e/clip/bpe_simple_vocab_16e6.txt.gz"
FROM=""

usage() {
  cat <<USAGE
Usage: $(basename "$0") [--from FILE] [--dest FILE] [--help]

Downloads ${URL}
(or copies --from FILE) and installs it at
  ${DEST}
Alternatives: pass --clip-vocab FILE to 'faceg2e-cli generate', or set FACEG2E_CLIP_VOCAB.
USAGE
}

die() { echo "fetch-clip-vocab: error: $*" >&2; exit 1; }
while (($#)); do
  case "$1" in
    --from) FROM="$2"; shift 2 ;;
    --dest) DEST="$2"; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

mkdir -p "$(dirname "${DEST}")"
TMP="$(mktemp "${DEST}.XXXXXX")"
trap 'rm -f "${TMP}"' EXIT
if [[ -n "${FROM}" ]]; then
  cp "${FROM}" "${TMP}"
else
  command -v curl >/dev/null || die "curl is needed for the download (apt install curl)"
  curl -fL --retry 3 -o "${TMP}" "${URL}" || die "download failed: ${URL}"
fi
gzip -t "${TMP}" 2>/dev/null || die "not a valid gzip file"
[[ "$(gzip -dc "${TMP}" | head -c 9)" == "\"bpe_simp" ]] || die "not the CLIP BPE vocabulary"
chmod 644 "${TMP}"
sync "${TMP}" 2>/dev/null || true
mv -f "${TMP}" "${DEST}"
trap - EXIT
echo "installed ${DEST}"
