#!/usr/bin/env bash
# Shared by the batch CLI tests. Expects CLI, MAKE (make_random_target), MODEL and WORK set.
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

# A target project: a random face (identity + albedo) made into a project with `new`.
make_target() {  # make_target OUT SEED
  "${MAKE}" "${WORK}/src_$2" "$2" 64 > /dev/null
  "${CLI}" new --face-model "${MODEL}" --out "$1" --identity "${WORK}/src_$2/identity.json" \
    --albedo "${WORK}/src_$2/albedo.png" > /dev/null
}

# Generate options that keep one job to a few seconds on a CPU: the analytic target, a few
# steps, small renders and atlas.
write_fast_defaults() {  # write_fast_defaults FILE TARGET_DIR
  cat > "$1" <<JSON
{"guidance": "target", "target": "$2", "steps_geometry": 3, "steps_texture": 3,
 "render_size_geometry": 64, "render_size_texture": 64, "texture_atlas_size": 64}
JSON
}

# JSON without the fields that record when and how long (created, modified, timings), for
# comparing the results of two runs.
json_content() {
  jq -S 'walk(if type == "object" then with_entries(select(.key | test("created|modified|time|timing|seconds|elapsed|date|it_per_s|host|started|finished|^id$|^entries$"; "i") | not)) else . end)' "$1"
}

# Two folders hold the same files with the same bytes (JSON: the same content but the times).
# Project entry folders are named <index>-<random>: compared by index (norm_path).
norm_path() { sed -E 's#entries/([0-9]+)-[0-9a-f]+#entries/\1#'; }
same_tree() {  # same_tree A B
  local a="$1" b="$2" f g
  diff <(cd "${a}" && find . -type f | norm_path | sort) <(cd "${b}" && find . -type f | norm_path | sort) > /dev/null \
    || { echo "different file lists: ${a} vs ${b}" >&2; diff <(cd "${a}" && find . -type f | norm_path | sort) <(cd "${b}" && find . -type f | norm_path | sort) >&2; return 1; }
  while IFS= read -r f; do
    g="$(cd "${b}" && find . -type f | while IFS= read -r x; do [[ "$(printf '%s' "$x" | norm_path)" == "$(printf '%s' "$f" | norm_path)" ]] && printf '%s' "$x"; done)"
    cmp -s "${a}/${f}" "${b}/${g}" && continue
    # The GLB embeds the history record (with its timings) in its JSON chunk; its geometry and
    # texture are the OBJ's and the PNG's, compared byte for byte.
    [[ "${f}" == *.glb ]] && continue
    if [[ "${f}" == *.json ]]; then
      cmp -s <(json_content "${a}/${f}") <(json_content "${b}/${g}") \
        || { echo "${f} differs: ${a} vs ${b}" >&2; diff <(json_content "${a}/${f}") <(json_content "${b}/${g}") | head -20 >&2; return 1; }
    else
      echo "${f} differs: ${a} vs ${b}" >&2; return 1
    fi
  done < <(cd "${a}" && find . -type f | sort)
}

state_of() {  # state_of BATCH NAME -> done | failed | running | pending
  "${CLI}" batch status --batch "$1" --json | jq -r --arg n "$2" '.jobs[] | select(.name == $n) | .state'
}
