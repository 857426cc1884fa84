#!/usr/bin/env bash
# A throwaway single-node Slurm cluster in a folder, for tests. Source it, then:
#   slurm_cluster_start DIR   starts munged, slurmctld and slurmd (all in the foreground of
#                             background jobs, so their PIDs are ours) with everything under DIR;
#                             exports SLURM_CONF; returns 77 with a message when it cannot run
#                             (not root, Slurm or munge missing), 1 when the daemons fail
#   slurm_cluster_stop        cancels what is still queued, then stops the daemons by PID
#                             (TERM, then KILL); safe to call twice and from an EXIT trap
# The node has CPUs=$(nproc) and a RealMemory below the machine's. Ports are chosen free.
SLURM_CLUSTER_PIDS=()
SLURM_CLUSTER_DIR=""

slurm_cluster_log() { echo "[slurm-cluster] $*" >&2; }

# A TCP port nobody listens on, from a range unlikely to be in use.
slurm_cluster_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! ss -Hltn "sport = :${p}" 2>/dev/null | grep -q .; then echo "${p}"; return 0; fi
  done
  return 1
}

slurm_cluster_start() {
  local dir="$1"
  if [[ "$(id -u)" != 0 ]]; then
    slurm_cluster_log "SKIPPED: the Slurm daemons need root (slurmd runs jobs as their users); running as uid $(id -u)"
    return 77
  fi
  local b
  for b in munged slurmctld slurmd sbatch sinfo squeue scancel ss; do
    if ! command -v "${b}" >/dev/null && [[ ! -x "/usr/sbin/${b}" ]]; then
      slurm_cluster_log "SKIPPED: ${b} not found (install slurmctld slurmd slurm-client munge)"
      return 77
    fi
  done
  export PATH="${PATH}:/usr/sbin:/sbin"
  SLURM_CLUSTER_DIR="${dir}"
  mkdir -p "${dir}"/{munge,state,spool,log,run}
  chmod 700 "${dir}/munge"
  dd if=/dev/urandom of="${dir}/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "${dir}/munge/munge.key"
  local sock="${dir}/munge/munge.socket"
  munged --foreground --force --key-file="${dir}/munge/munge.key" --socket="${sock}" \
    --pid-file="${dir}/munge/munged.pid" --seed-file="${dir}/munge/munged.seed" \
    --log-file="${dir}/log/munged.log" > "${dir}/log/munged.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  for _ in $(seq 1 50); do [[ -S "${sock}" ]] && break; sleep 0.1; done
  if [[ ! -S "${sock}" ]]; then
    slurm_cluster_log "munged did not start:"; cat "${dir}/log/munged.out" "${dir}/log/munged.log" >&2 2>/dev/null
    return 1
  fi

  local host mem ctld_port d_port
  host="$(hostname -s)"
  # Below the machine's memory: slurmd refuses a node that claims more than it has.
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 3 / 4 ))
  ctld_port="$(slurm_cluster_free_port)"
  d_port="$(slurm_cluster_free_port)"
  while [[ "${d_port}" == "${ctld_port}" ]]; do d_port="$(slurm_cluster_free_port)"; done
  cat > "${dir}/slurm.conf" <<CONF
ClusterName=faceg2etest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${sock}
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
SlurmctldPort=${ctld_port}
SlurmdPort=${d_port}
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/run/slurmctld.pid
SlurmdPidFile=${dir}/run/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
KillWait=5
MinJobAge=2
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=${host} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=${mem} State=UNKNOWN
PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="${dir}/slurm.conf"
  slurmctld -D -i -f "${SLURM_CONF}" > "${dir}/log/slurmctld.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  slurmd -D -f "${SLURM_CONF}" > "${dir}/log/slurmd.out" 2>&1 &
  SLURM_CLUSTER_PIDS+=($!)
  local state=""
  for _ in $(seq 1 100); do
    state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1)"
    [[ "${state}" == idle ]] && break
    sleep 0.2
  done
  if [[ "${state}" != idle ]]; then
    slurm_cluster_log "the node did not come up (state '${state}'); logs:"
    tail -n 20 "${dir}"/log/slurmctld.* "${dir}"/log/slurmd.* >&2 2>/dev/null
    return 1
  fi
  slurm_cluster_log "up: node ${host}, $(nproc) CPUs, ${mem} MB, ports ${ctld_port}/${d_port}, SLURM_CONF=${SLURM_CONF}"
}

slurm_cluster_stop() {
  if ((${#SLURM_CLUSTER_PIDS[@]} == 0)); then return 0; fi
  # Jobs first, so no job step outlives the cluster.
  if [[ -n "${SLURM_CONF:-}" ]]; then
    scancel --full --quiet --partition=test 2>/dev/null || true
    for _ in $(seq 1 50); do
      [[ -z "$(squeue -h 2>/dev/null)" ]] && break
      sleep 0.2
    done
  fi
  local pid i
  for ((i = ${#SLURM_CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${SLURM_CLUSTER_PIDS[i]}" 2>/dev/null || true
  done
  for pid in "${SLURM_CLUSTER_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
  SLURM_CLUSTER_PIDS=()
}
