#!/usr/bin/env bash
# faceg2e-cli batch without Slurm: plan errors write nothing; run, skip and resume; a failing
# job is recorded and the others are unaffected; status as a table and as JSON; the model
# hashes are checked; a stopped run leaves no partial folder; the sbatch file lists only
# pending and failed jobs. Analytic-target jobs with a few steps, a few seconds each.
# Usage: batch_cli.sh FACEG2E_CLI MAKE_RANDOM_TARGET SHARED_DIR
set -euo pipefail
CLI="$1"; MAKE="$2"; MODEL="$3/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-batch-cli.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/batch_test_lib.sh"
T0=${SECONDS}

make_target "${WORK}/t1" 11
make_target "${WORK}/t2" 12
make_target "${WORK}/t3" 13
write_fast_defaults "${WORK}/defaults.json" t1

step "plan errors name the line and the field, and write nothing"
plan_fails() {  # plan_fails JOBS_FILE EXPECTED_TEXT...
  local jobs="$1"; shift
  local rc=0
  "${CLI}" batch plan --jobs "${jobs}" --defaults "${WORK}/defaults.json" --face-model "${MODEL}" \
    --out "${WORK}/bad" > "${WORK}/out.txt" 2> "${WORK}/err.txt" || rc=$?
  [[ "${rc}" != 0 ]] || fail "plan of ${jobs} succeeded"
  [[ ! -e "${WORK}/bad" ]] || fail "a failed plan wrote ${WORK}/bad"
  local t
  for t in "$@"; do
    grep -qF -- "${t}" "${WORK}/err.txt" || fail "plan error lacks '${t}': $(cat "${WORK}/err.txt")"
  done
  echo "  $(cat "${WORK}/err.txt")"
}
printf 'name,prompt,seed\na,x,1\nb,y,one\n' > "${WORK}/bad_seed.csv"
plan_fails "${WORK}/bad_seed.csv" "bad_seed.csv" "line 3" "field 'seed'"
printf 'name,prompt,seed\na,x,1\nb,"never closed,2\n' > "${WORK}/bad_quote.csv"
plan_fails "${WORK}/bad_quote.csv" "line 3" "quote"
printf 'name,prompt,seed\na,x,1\nb,y,2\na,z,3\n' > "${WORK}/dup.csv"
plan_fails "${WORK}/dup.csv" "line 4" "duplicate name 'a'" "line 2"
printf '{"name": "a", "seed": 1}\n{"name": "b", "seed": 2, "steps_texture": "many"}\n' > "${WORK}/bad.jsonl"
plan_fails "${WORK}/bad.jsonl" "bad.jsonl: line 2" "field 'steps_texture'"
printf '{"name": "a", "seed": 1}\n{"name": "b", "seed": 2,\n' > "${WORK}/broken.jsonl"
plan_fails "${WORK}/broken.jsonl" "line 2" "invalid JSON"
printf 'name,seed,sd21\na,1,/models/x\n' > "${WORK}/model_field.csv"
plan_fails "${WORK}/model_field.csv" "field 'sd21'" "--sd21"
printf 'name,seed,colour\na,1,red\n' > "${WORK}/unknown.csv"
plan_fails "${WORK}/unknown.csv" "line 1" "field 'colour'" "unknown field"

step "plan: 3 jobs (CSV, defaults, one job's target to be deleted)"
# Targets are relative to the list's folder; c's target goes away after planning.
cat > "${WORK}/jobs.csv" <<'CSV'
name,prompt,seed,target,steps_geometry
alice,"a face, smiling",101,,
bob,,202,t2,4
carol,"quoted ""name""",303,t3,
CSV
"${CLI}" batch plan --jobs "${WORK}/jobs.csv" --defaults "${WORK}/defaults.json" \
  --face-model "${MODEL}" --threads 1 --out "${WORK}/B" > "${WORK}/plan.txt"
cat "${WORK}/plan.txt"
M="${WORK}/B/batch.json"
[[ "$(jq '.jobs | length' "${M}")" == 3 ]] || fail "manifest does not hold 3 jobs"
[[ "$(jq -r '[.jobs[].index] | map(tostring) | join(",")' "${M}")" == "0,1,2" ]] || fail "jobs not numbered from 0"
[[ "$(jq -r '.jobs[2].prompt' "${M}")" == 'quoted "name"' ]] || fail "CSV quoting: $(jq -r '.jobs[2].prompt' "${M}")"
[[ "$(jq -r '.jobs[0].generate.target' "${M}")" == "${WORK}/t1" ]] || fail "default target not resolved: $(jq -r '.jobs[0].generate.target' "${M}")"
[[ "$(jq -r '.jobs[1].generate.target' "${M}")" == "${WORK}/t2" ]] || fail "job target not resolved"
[[ "$(jq -r '.jobs[1].generate.steps_geometry' "${M}")" == 4 ]] || fail "job option did not override the default"
[[ "$(jq -r '.jobs[0].generate.steps_geometry' "${M}")" == 3 ]] || fail "default option missing"
[[ "$(jq -r '.threads' "${M}")" == 1 ]] || fail "threads not recorded"
[[ "$(jq -r '.models.face_model' "${M}")" == "$(realpath -s "${MODEL}")" ]] || fail "face model path not recorded"
want_sha="$(sha256sum "${MODEL}" | awk '{print $1}')"
[[ "$(jq -r '.model_files[0].sha256' "${M}")" == "${want_sha}" ]] || fail "face model SHA-256 differs from sha256sum"
rc=0; "${CLI}" batch plan --jobs "${WORK}/jobs.csv" --defaults "${WORK}/defaults.json" \
  --face-model "${MODEL}" --out "${WORK}/B" > /dev/null 2>&1 || rc=$?
[[ "${rc}" != 0 ]] || fail "planning over an existing batch succeeded"
rm -rf "${WORK}/t3"

step "status: all pending"
"${CLI}" batch status --batch "${WORK}/B"
[[ "$("${CLI}" batch status --batch "${WORK}/B" --json | jq -c .counts)" == '{"done":0,"failed":0,"running":0,"pending":3}' ]] \
  || fail "fresh batch is not all pending"

step "run --index 0, then again (skipped)"
t=${SECONDS}
"${CLI}" batch run --batch "${WORK}/B" --index 0 > "${WORK}/run0.txt" 2> "${WORK}/run0.err" \
  || { cat "${WORK}/run0.txt" "${WORK}/run0.err"; fail "run --index 0"; }
echo "  job 0 took $((SECONDS - t)) s"
J="${WORK}/B/jobs/alice"
for f in project/project.json project/entries export job.json log.txt; do
  [[ -e "${J}/${f}" ]] || fail "job folder lacks ${f}"
done
ls "${J}/export" | grep -q '\.obj$' || fail "no OBJ in the export"
ls "${J}/export" | grep -q '\.png$' || fail "no PNG in the export"
[[ ! -e "${WORK}/B/jobs/.staging/alice" ]] || fail "staging folder left behind"
[[ ! -e "${WORK}/B/jobs/alice.running.json" ]] || fail "running marker left behind"
grep -q -- "--seed 101" "${J}/log.txt" || fail "generate did not get the job's seed"
before="$(stat -c %Y "${J}/job.json")"
"${CLI}" batch run --batch "${WORK}/B" --index 0 > "${WORK}/run0b.txt"
grep -q "skipped" "${WORK}/run0b.txt" || fail "a finished job was not skipped: $(cat "${WORK}/run0b.txt")"
[[ "$(stat -c %Y "${J}/job.json")" == "${before}" ]] || fail "a finished job was rewritten"

step "run --all: carol fails (target deleted), bob is unaffected"
rc=0; "${CLI}" batch run --batch "${WORK}/B" --all > "${WORK}/all.txt" 2> "${WORK}/all.err" || rc=$?
cat "${WORK}/all.txt"
[[ "${rc}" == 3 ]] || { cat "${WORK}/all.err"; fail "run --all with a failing job exited ${rc}, expected 3"; }
grep -q "job 0 (alice): done already, skipped" "${WORK}/all.txt" || fail "--all did not skip the finished job"
[[ -d "${WORK}/B/jobs/bob/export" ]] || fail "bob did not finish"
[[ ! -e "${WORK}/B/jobs/carol" ]] || fail "the failed job left a folder"
[[ ! -e "${WORK}/B/jobs/.staging/carol" ]] || fail "the failed job left its staging folder"
F="${WORK}/B/jobs/carol.failed.json"
[[ -f "${F}" ]] || fail "no failure record"
[[ "$(jq -r .step "${F}")" == generate ]] || fail "failure step: $(jq -r .step "${F}")"
jq -r .message "${F}" | grep -q "t3" || fail "failure message does not name the missing target: $(jq -r .message "${F}")"

step "status: table and JSON"
"${CLI}" batch status --batch "${WORK}/B" | tee "${WORK}/status.txt"
grep -E "^ +0 +alice +done" "${WORK}/status.txt" > /dev/null || fail "status table: alice"
grep -E "^ +1 +bob +done" "${WORK}/status.txt" > /dev/null || fail "status table: bob"
grep -E "^ +2 +carol +failed +generate: .*t3" "${WORK}/status.txt" > /dev/null || fail "status table: carol"
grep -q "3 jobs: 2 done, 1 failed, 0 running, 0 pending" "${WORK}/status.txt" || fail "status summary"
S="$("${CLI}" batch status --batch "${WORK}/B" --json)"
[[ "$(jq -c .counts <<< "${S}")" == '{"done":2,"failed":1,"running":0,"pending":0}' ]] || fail "status --json counts: $(jq -c .counts <<< "${S}")"
[[ "$(jq -r '.jobs[2].state' <<< "${S}")" == failed ]] || fail "status --json: carol"
jq -r '.jobs[2].message' <<< "${S}" | grep -q t3 || fail "status --json: carol's message"

step "slurm script (not submitted): only the failed job, with the options"
"${CLI}" batch slurm --batch "${WORK}/B" --partition gpu --gpus-per-task 1 --max-parallel 2 --time 0:10:00
SB="${WORK}/B/slurm/array.sbatch"
for line in "#SBATCH --array=2%2" "#SBATCH --output=${WORK}/B/slurm/logs/%A_%a.out" \
            "#SBATCH --partition=gpu" "#SBATCH --gpus-per-task=1" "#SBATCH --time=0:10:00" \
            "#SBATCH --cpus-per-task=1" 'batch run --batch '"'${WORK}/B'"' --index "${SLURM_ARRAY_TASK_ID}" --device '"'cuda'"; do
  grep -qF -- "${line}" "${SB}" || { cat "${SB}"; fail "array.sbatch lacks: ${line}"; }
done
[[ -d "${WORK}/B/slurm/logs" ]] || fail "no log folder for Slurm"
bash -n "${SB}" || fail "array.sbatch is not valid bash"

step "resume: the target is back, run --all redoes only carol"
make_target "${WORK}/t3" 13
"${CLI}" batch run --batch "${WORK}/B" --all > "${WORK}/resume.txt" 2> "${WORK}/resume.err" \
  || { cat "${WORK}/resume.txt" "${WORK}/resume.err"; fail "resume"; }
[[ "$(grep -c "done already, skipped" "${WORK}/resume.txt")" == 2 ]] || fail "resume did not skip the two finished jobs"
[[ -d "${WORK}/B/jobs/carol/export" ]] || fail "carol did not finish on resume"
[[ ! -e "${F}" ]] || fail "the failure record stayed after success"
[[ "$("${CLI}" batch status --batch "${WORK}/B" --json | jq -c .counts)" == '{"done":3,"failed":0,"running":0,"pending":0}' ]] || fail "not all done"
"${CLI}" batch slurm --batch "${WORK}/B" | grep -q "nothing to submit" || fail "slurm with nothing pending"

step "the same list planned again gives the same faces bit for bit"
"${CLI}" batch plan --jobs "${WORK}/jobs.csv" --defaults "${WORK}/defaults.json" \
  --face-model "${MODEL}" --threads 1 --out "${WORK}/B2" > /dev/null
"${CLI}" batch run --batch "${WORK}/B2" --index 1 > /dev/null 2>&1 || fail "B2 run --index 1"
same_tree "${WORK}/B/jobs/bob/project" "${WORK}/B2/jobs/bob/project" || fail "projects differ between two runs"
same_tree "${WORK}/B/jobs/bob/export" "${WORK}/B2/jobs/bob/export" || fail "exports differ between two runs"

step "a changed model file stops the run before the first step"
cp "${MODEL}" "${WORK}/face.f3dm"
printf 'name,seed\nm,5\n' > "${WORK}/one.csv"
"${CLI}" batch plan --jobs "${WORK}/one.csv" --defaults "${WORK}/defaults.json" \
  --face-model "${WORK}/face.f3dm" --threads 1 --out "${WORK}/B3" > /dev/null
printf 'X' | dd of="${WORK}/face.f3dm" bs=1 seek=1000 conv=notrunc status=none
rc=0; "${CLI}" batch run --batch "${WORK}/B3" --all > /dev/null 2> "${WORK}/hash.err" || rc=$?
[[ "${rc}" == 1 ]] || fail "run with a changed model exited ${rc}, expected 1"
grep -q "face.f3dm has SHA-256" "${WORK}/hash.err" || fail "hash mismatch message: $(cat "${WORK}/hash.err")"
[[ ! -e "${WORK}/B3/jobs/m" && ! -e "${WORK}/B3/jobs/m.failed.json" ]] || fail "a job ran with a changed model"

step "a stopped run (SIGTERM) keeps nothing; the job is pending again"
printf 'name,seed,steps_geometry,steps_texture\nlong,7,2000,2000\n' > "${WORK}/long.csv"
"${CLI}" batch plan --jobs "${WORK}/long.csv" --defaults "${WORK}/defaults.json" \
  --face-model "${MODEL}" --threads 1 --out "${WORK}/B4" > /dev/null
"${CLI}" batch run --batch "${WORK}/B4" --index 0 > "${WORK}/long.txt" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "geometry step" "${WORK}/long.txt" 2>/dev/null && break; sleep 0.1; done
[[ "$(state_of "${WORK}/B4" long)" == running ]] || fail "a running job is not 'running' in status"
"${CLI}" batch status --batch "${WORK}/B4" | grep -E "long +running +host $(hostname -s), pid ${pid}" > /dev/null \
  || fail "status does not show the runner: $("${CLI}" batch status --batch "${WORK}/B4")"
kill -TERM "${pid}"
rc=0; wait "${pid}" || rc=$?
[[ "${rc}" == 143 ]] || { cat "${WORK}/long.txt"; fail "a stopped run exited ${rc}, expected 143"; }
[[ ! -e "${WORK}/B4/jobs/long" ]] || fail "a stopped run left its job folder"
[[ -z "$(ls -A "${WORK}/B4/jobs/.staging" 2>/dev/null)" ]] || fail "a stopped run left its staging folder"
[[ ! -e "${WORK}/B4/jobs/long.failed.json" ]] || fail "a stopped run was recorded as a failure"
[[ "$(state_of "${WORK}/B4" long)" == pending ]] || fail "a stopped job is not pending"

step "edits"
# (`faceg2e-cli edit --help` would print the top-level help when there is no edit command.)
if "${CLI}" --help | grep -qE '^ +edit( |$)'; then
  printf '%s\n' '{"name": "e", "seed": 9, "edits": [{"instruction": "make the face wider", "steps": 2}]}' > "${WORK}/edit.jsonl"
  "${CLI}" batch plan --jobs "${WORK}/edit.jsonl" --defaults "${WORK}/defaults.json" \
    --face-model "${MODEL}" --threads 1 --out "${WORK}/B5" > /dev/null
  "${CLI}" batch run --batch "${WORK}/B5" --index 0 > "${WORK}/edit.txt" 2>&1 || { cat "${WORK}/edit.txt"; fail "a job with an edit"; }
  grep -q '^\$ faceg2e-cli edit ' "${WORK}/B5/jobs/e/log.txt" || fail "the edit step did not run"
else
  echo "  SKIPPED: this build has no edit command; a job with edits is a plan error:"
  printf '%s\n' '{"name": "e", "seed": 9, "edits": [{"instruction": "smile"}]}' > "${WORK}/edit.jsonl"
  plan_fails "${WORK}/edit.jsonl" "line 1" "field 'edits'"
fi

echo "batch CLI: OK ($((SECONDS - T0)) s)"
