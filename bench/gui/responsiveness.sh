#!/usr/bin/env bash
# Frame times of the live editor while the worker runs a job, against frame times idle, from
# `faceg2e --frame-log`. Plays a script: draw idle for IDLE_S seconds, start an analytic-target
# generate (many steps at 64 px), draw for BUSY_S seconds, cancel, quit. Prints p50/p95/p99 of
# frame_ms for job_running = 0 and 1.
# Usage: bench/gui/responsiveness.sh BUILD_DIR SHARED_DIR [IDLE_S BUSY_S RENDER_SIZE]
set -euo pipefail
BUILD="$1"; SHARED="$2"; IDLE_S="${3:-10}"; BUSY_S="${4:-20}"; RENDER="${5:-128}"
MODEL="${SHARED}/data/ict-facekit/ict_facekit_full.f3dm"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/faceg2e-bench-gui.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
echo '[1.5, -1.0, 0.8]' > "${WORK}/id.json"
"${BUILD}/app/faceg2e-cli" new --face-model "${MODEL}" --out "${WORK}/target" --identity "${WORK}/id.json" > /dev/null
cat > "${WORK}/script.txt" <<SCRIPT
select Guidance "Analytic target"
type "Target project" ${WORK}/target
type "Geometry steps" 100000
type "Render size" ${RENDER}
wait ${IDLE_S}
click Generate
wait ${BUSY_S}
click Cancel
wait-idle 60
quit
SCRIPT
mkdir -p "${WORK}/config"
XDG_CONFIG_HOME="${WORK}/config" xvfb-run -a -s "-screen 0 1920x1080x24" "${BUILD}/app/faceg2e" \
  --face-model "${MODEL}" --width 1280 --height 800 --msaa 1 --script "${WORK}/script.txt" \
  --frame-log "${WORK}/frames.csv" > "${WORK}/log.txt" 2>&1 || { cat "${WORK}/log.txt" >&2; exit 1; }
python3 - "${WORK}/frames.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))[5:]  # the first frames pay for set-up
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
for flag, name in (("0", "idle"), ("1", "job running")):
    ms = [float(r["frame_ms"]) for r in rows if r["job_running"] == flag]
    if not ms: print(f"{name}: no frames"); continue
    print(f"{name}: {len(ms)} frames, p50 {pct(ms,50):.1f} ms, p95 {pct(ms,95):.1f} ms, "
          f"p99 {pct(ms,99):.1f} ms, max {max(ms):.1f} ms")
PY
