#!/usr/bin/env bash
# faceg2e-cli batch on a real single-node Slurm cluster started here (tests/batch/slurm_cluster.sh):
#  1. a 3-job batch submitted with `batch slurm --submit` completes, and each job's project and
#     export equal, file for file, what `batch run --index` makes locally from the same list;
#  2. a task cancelled with scancel mid-run leaves no partial folder, and the next
#     `batch slurm --submit` runs only that job;
#  3. a job that fails at run time (its target deleted after planning) shows in `batch status`
#     and the other job is unaffected.
# Needs root for the daemons; exits 77 (skipped) with a message otherwise.
# Usage: batch_slurm.sh FACEG2E_CLI MAKE_RANDOM_TARGET SHARED_DIR
set -euo pipefail
CLI="$(realpath "$1")"; MAKE="$2"; MODEL="$3/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-batch-slurm.XXXXXX")"
HERE="$(dirname "${BASH_SOURCE[0]}")"
source "${HERE}/batch_test_lib.sh"
source "${HERE}/slurm_cluster.sh"
cleanup() {
  slurm_cluster_stop
  rm -rf "${WORK}"
}
trap cleanup EXIT
T0=${SECONDS}

rc=0; slurm_cluster_start "${WORK}/cluster" || rc=$?
if [[ "${rc}" == 77 ]]; then exit 77; fi
[[ "${rc}" == 0 ]] || fail "the Slurm cluster did not start"
echo "cluster up in $((SECONDS - T0)) s"

# Waits until Slurm has forgotten or finished every task of array job $1 (at most $2 s).
wait_array() {
  local id="$1" limit="$2" t=${SECONDS}
  while (( SECONDS - t < limit )); do
    [[ -z "$(squeue -h -j "${id}" 2>/dev/null)" ]] && return 0
    sleep 0.5
  done
  squeue >&2 || true
  fail "job array ${id} still queued after ${limit} s"
}
submit() {  # submit BATCH [ARGS...] -> prints the job id
  local out
  out="$("${CLI}" batch slurm --batch "$@" --submit)" || fail "batch slurm --submit: ${out}"
  echo "${out}" >&2
  grep -oE 'submitted job array [0-9]+' <<< "${out}" | awk '{print $4}'
}

make_target "${WORK}/t1" 21
make_target "${WORK}/t2" 22
make_target "${WORK}/t3" 23
write_fast_defaults "${WORK}/defaults.json" t1

step "1. three jobs through Slurm equal the same jobs run locally"
cat > "${WORK}/jobs.csv" <<'CSV'
name,seed,target
ann,1001,t1
ben,1002,t2
cat,1003,t3
CSV
plan() {  # plan JOBS OUT
  "${CLI}" batch plan --jobs "$1" --defaults "${WORK}/defaults.json" --face-model "${MODEL}" \
    --threads 1 --out "$2" > /dev/null
}
plan "${WORK}/jobs.csv" "${WORK}/S"
plan "${WORK}/jobs.csv" "${WORK}/L"
t=${SECONDS}
id="$(submit "${WORK}/S")"
[[ -n "${id}" ]] || fail "no job id printed"
grep -qF "#SBATCH --array=0-2" "${WORK}/S/slurm/array.sbatch" || fail "array over all three jobs"
wait_array "${id}" 120
echo "  Slurm: 3 jobs in $((SECONDS - t)) s"
"${CLI}" batch status --batch "${WORK}/S"
[[ "$("${CLI}" batch status --batch "${WORK}/S" --json | jq -c .counts)" == '{"done":3,"failed":0,"running":0,"pending":0}' ]] \
  || { cat "${WORK}"/S/slurm/logs/*; fail "not all three jobs are done"; }
for i in 0 1 2; do
  [[ -s "${WORK}/S/slurm/logs/${id}_${i}.out" ]] || fail "no Slurm log ${id}_${i}.out"
done
t=${SECONDS}
"${CLI}" batch run --batch "${WORK}/L" --all > "${WORK}/local.txt" 2>&1 || { cat "${WORK}/local.txt"; fail "local run"; }
echo "  local: 3 jobs in $((SECONDS - t)) s"
for n in ann ben cat; do
  [[ "$(jq -r .slurm_job "${WORK}/S/jobs/${n}/job.json")" == "${id}_"* ]] || fail "${n} did not run under Slurm"
  same_tree "${WORK}/S/jobs/${n}/project" "${WORK}/L/jobs/${n}/project" || fail "${n}: Slurm and local projects differ"
  same_tree "${WORK}/S/jobs/${n}/export" "${WORK}/L/jobs/${n}/export" || fail "${n}: Slurm and local exports differ"
done
"${CLI}" batch slurm --batch "${WORK}/S" --submit | grep -q "nothing to submit" || fail "resubmitting a finished batch"

step "2. scancel mid-run: nothing partial, and the next submission runs only that job"
# A quick job, and one long enough (~10 s) to be cancelled while it runs.
cat > "${WORK}/jobs2.csv" <<'CSV'
name,seed,steps_geometry,steps_texture
quick,2001,,
slow,2002,40,10
CSV
plan "${WORK}/jobs2.csv" "${WORK}/C"
id="$(submit "${WORK}/C")"
log="${WORK}/C/slurm/logs/${id}_1.out"
t=${SECONDS}
until grep -q "\[slow\] geometry step" "${log}" 2>/dev/null; do
  (( SECONDS - t < 60 )) || fail "the slow job did not start"
  sleep 0.2
done
[[ "$(state_of "${WORK}/C" slow)" == running ]] || fail "the slow job is not 'running' in status"
scancel "${id}_1"
wait_array "${id}" 60
cat "${log}" | tail -n 3
grep -q "stopped by signal 15" "${log}" || fail "batch run did not see the cancel: $(tail -5 "${log}")"
[[ ! -e "${WORK}/C/jobs/slow" ]] || fail "the cancelled job left its folder"
[[ -z "$(ls -A "${WORK}/C/jobs/.staging" 2>/dev/null)" ]] || fail "the cancelled job left its staging folder"
[[ ! -e "${WORK}/C/jobs/slow.failed.json" ]] || fail "a cancel was recorded as a failure"
[[ "$(state_of "${WORK}/C" slow)" == pending ]] || fail "the cancelled job is not pending"
[[ "$(state_of "${WORK}/C" quick)" == done ]] || fail "the other job did not finish"
quick_time="$(stat -c %Y "${WORK}/C/jobs/quick/job.json")"
id2="$(submit "${WORK}/C")"
grep -qF "#SBATCH --array=1" "${WORK}/C/slurm/array.sbatch" && ! grep -q "#SBATCH --array=0" "${WORK}/C/slurm/array.sbatch" \
  || fail "the resubmission is not only the cancelled job: $(grep array= "${WORK}/C/slurm/array.sbatch")"
wait_array "${id2}" 120
[[ "$(state_of "${WORK}/C" slow)" == done ]] || { tail -20 "${WORK}/C/slurm/logs/${id2}_1.out"; fail "the resubmitted job did not finish"; }
[[ "$(stat -c %Y "${WORK}/C/jobs/quick/job.json")" == "${quick_time}" ]] || fail "the finished job ran again"
[[ ! -e "${WORK}/C/slurm/logs/${id2}_0.out" ]] || fail "the resubmission ran job 0"

step "3. a job failing at run time shows in status; the other is unaffected"
cat > "${WORK}/jobs3.csv" <<'CSV'
name,seed,target
good,3001,t1
doomed,3002,t3
CSV
plan "${WORK}/jobs3.csv" "${WORK}/F"
rm -rf "${WORK}/t3"
id="$(submit "${WORK}/F")"
wait_array "${id}" 120
"${CLI}" batch status --batch "${WORK}/F" | tee "${WORK}/status3.txt"
grep -E "^ +1 +doomed +failed +generate: .*t3" "${WORK}/status3.txt" > /dev/null || fail "status does not show the failure"
[[ "$(state_of "${WORK}/F" good)" == done ]] || fail "the good job was affected"
[[ -d "${WORK}/F/jobs/good/export" ]] || fail "the good job has no export"
[[ ! -e "${WORK}/F/jobs/doomed" ]] || fail "the failed job left a folder"
grep -q "#SBATCH --array=1$" <("${CLI}" batch slurm --batch "${WORK}/F" > /dev/null; cat "${WORK}/F/slurm/array.sbatch") \
  || fail "the failed job is not what a resubmission would run"

echo "batch on Slurm: OK ($((SECONDS - T0)) s)"
