#!/usr/bin/env bash
# Installs and starts what the end-to-end sweep tests need, on a Debian 12 CI machine (as root):
#   1. GNU parallel (package `parallel`), with its citation notice silenced (~/.parallel/will-cite);
#   2. a single-node Slurm on localhost: munge (key + munged), a generated /etc/slurm/slurm.conf
#      (one node named after `hostname -s`, the machine's CPUs and memory, select/cons_tres with
#      CR_CPU so array tasks run side by side, no cgroups), slurmctld and slurmd started directly
#      (no systemd), then waits until the node is idle.
# Idempotent: installs are skipped when the tools are present; daemons that are already running
# with the same configuration and answering are left alone, otherwise they are restarted.
# Every wait is bounded. On failure it exits nonzero, names the failing step and tails its log.
#
# Environment:
#   SAMLAB_SKIP_SERVICES=1     do nothing, exit 0
#   SAMLAB_SERVICES_WAIT=SECS  how long to wait for the node to become idle (default 60)
#   SAMLAB_SERVICES_RESTART=1  restart the daemons even when they look healthy
set -euo pipefail

if [ "${SAMLAB_SKIP_SERVICES:-0}" = "1" ]; then
  echo "[ci-services] SAMLAB_SKIP_SERVICES=1: not installing or starting anything"
  exit 0
fi

WAIT_SECS="${SAMLAB_SERVICES_WAIT:-60}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
CLUSTER=samlab
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
LOG_DIR=/var/log/slurm
CTLD_LOG="$LOG_DIR/slurmctld.log"
SLURMD_LOG="$LOG_DIR/slurmd.log"
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_KEY=/etc/munge/munge.key
MUNGE_SOCKET=/run/munge/munge.socket.2
MUNGE_PID=/run/munge/munged.pid
MUNGE_LOG=/var/log/munge/munged.log

STEP="start"
T0=$(date +%s)

log() { echo "[ci-services] $*"; }
warn() { echo "[ci-services] warning: $*" >&2; }
# die MESSAGE [LOGFILE...]: report the failing step, tail the given logs, exit 1.
die() {
  local msg="$1"; shift
  echo "[ci-services] FAILED at step '$STEP': $msg" >&2
  local f
  for f in "$@"; do
    if [ -r "$f" ]; then
      echo "[ci-services] ---- last lines of $f ----" >&2
      tail -n 40 "$f" >&2 || true
      echo "[ci-services] ---- end of $f ----" >&2
    else
      echo "[ci-services] (no log at $f)" >&2
    fi
  done
  exit 1
}
trap 'rc=$?; echo "[ci-services] FAILED at step '"'"'$STEP'"'"': command \"$BASH_COMMAND\" exited $rc (line $LINENO)" >&2; exit $rc' ERR

step() { STEP="$1"; log "== $1"; }

# ---------------------------------------------------------------------------------------------
step "check privileges"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    log "not root: re-running under sudo"
    exec sudo -n -E env "PATH=$PATH" bash "$0" "$@"
  fi
  die "must run as root (or with passwordless sudo)"
fi
export PATH="$PATH:/usr/sbin:/sbin"
if [ "$(ps -o comm= -p 1 2>/dev/null || true)" = "systemd" ]; then
  log "note: PID 1 is systemd; starting the daemons directly anyway (units are not used)"
fi

# apt_install PKG...: install without recommends; `apt-get update` only if the first try fails.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install $*"
  if timeout 900 apt-get install -y -q --no-install-recommends "$@"; then
    return 0
  fi
  log "install failed; running apt-get update and retrying"
  timeout 600 apt-get update -q || die "apt-get update failed"
  timeout 900 apt-get install -y -q --no-install-recommends "$@" || die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------------------------
step "GNU parallel"
gnu_parallel() { local v; v=$(timeout 20 parallel --version 2>/dev/null </dev/null || true); [[ "$v" == *"GNU parallel"* ]]; }
if command -v parallel >/dev/null 2>&1 && gnu_parallel; then
  log "GNU parallel already installed: $(command -v parallel)"
else
  apt_install parallel
  gnu_parallel || die "parallel --version does not report GNU parallel"
fi
# Silence the citation notice for root and, under sudo, for the invoking user.
homes=("${HOME:-/root}")
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  h=$(getent passwd "$SUDO_USER" | cut -d: -f6 || true)
  [ -n "$h" ] && homes+=("$h")
fi
for h in "${homes[@]}"; do
  mkdir -p "$h/.parallel"
  touch "$h/.parallel/will-cite"
  if [ -n "${SUDO_USER:-}" ] && [ "$h" != "${HOME:-/root}" ]; then
    chown -R "$SUDO_USER": "$h/.parallel" || true
  fi
done
log "citation notice silenced (~/.parallel/will-cite)"

# ---------------------------------------------------------------------------------------------
step "install slurm and munge"
missing=()
for c in slurmctld slurmd sinfo sbatch scontrol squeue munged munge unmunge; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "slurm-wlm and munge already installed ($(slurmctld -V 2>/dev/null || echo '?'))"
else
  log "missing: ${missing[*]}"
  apt_install slurm-wlm munge
  for c in slurmctld slurmd sinfo sbatch scontrol munged munge unmunge; do
    command -v "$c" >/dev/null 2>&1 || die "$c still missing after installing slurm-wlm and munge"
  done
fi
getent passwd munge >/dev/null || die "user 'munge' does not exist (the munge package creates it)"

# is_exe PID EXE: does process PID run the program EXE? (by its command name: on Debian
# /usr/sbin/slurmctld is an alternatives link to slurmctld-wlm, so /proc/PID/exe differs)
# Zombies (PID 1 in a container may not reap) count as gone.
is_exe() {
  [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = "${2:0:15}" ] || return 1
  local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1 || true)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid_alive PIDFILE EXE: print the pid recorded in PIDFILE if that process is alive and runs EXE.
pid_alive() {
  local pid
  [ -r "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  is_exe "$pid" "$2" && echo "$pid"
}

# daemon_pids EXE PIDFILE: pids of the daemon (from its pid file, else processes named EXE).
daemon_pids() {
  local p
  if p=$(pid_alive "$2" "$1"); then echo "$p"; return 0; fi
  for p in $(pgrep -x "$1" 2>/dev/null || true); do
    if is_exe "$p" "$1"; then echo "$p"; fi
  done
}

# running EXE PIDFILE: is the daemon alive?
running() { [ -n "$(daemon_pids "$1" "$2")" ]; }

# stop_daemon EXE PIDFILE: TERM, wait up to 15 s, then KILL.
stop_daemon() {
  local pids p i
  pids=$(daemon_pids "$1" "$2" | tr '\n' ' ')
  if [ -z "${pids// /}" ]; then rm -f "$2"; return 0; fi
  log "stopping $1 (pid $pids)"
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 30); do
    local alive=""
    for p in $pids; do if is_exe "$p" "$1"; then alive="$alive $p"; fi; done
    [ -z "$alive" ] && { rm -f "$2"; return 0; }
    sleep 0.5
  done
  warn "$1 did not exit after TERM; sending KILL to$alive"
  kill -KILL $alive 2>/dev/null || true
  sleep 1
  rm -f "$2"
}

munge_ok() {
  local cred
  cred=$(timeout 10 munge -n -S "$MUNGE_SOCKET" 2>/dev/null </dev/null) || return 1
  timeout 10 unmunge -S "$MUNGE_SOCKET" <<<"$cred" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
step "munge key"
key_created=0
install -d -o munge -g munge -m 0700 /etc/munge
if [ ! -s "$MUNGE_KEY" ]; then
  log "creating $MUNGE_KEY"
  if ! mungekey --create --keyfile="$MUNGE_KEY" 2>/dev/null; then
    warn "mungekey failed; using dd"
    rm -f "$MUNGE_KEY"
    (umask 077; dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none)
  fi
  key_created=1
fi
chown munge:munge "$MUNGE_KEY"
chmod 0400 "$MUNGE_KEY"
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0700 /var/log/munge
log "key present: $(stat -c '%U:%G %a %s bytes' "$MUNGE_KEY")"

step "munged"
if [ "$key_created" = 0 ] && running munged "$MUNGE_PID" && munge_ok; then
  log "munged already running and answering (pid $(daemon_pids munged "$MUNGE_PID" | tr '\n' ' '))"
else
  stop_daemon munged "$MUNGE_PID"
  rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
  log "starting munged as user munge"
  if ! runuser -u munge -- munged 2>&1; then
    warn "munged as user munge failed; trying 'munged --force' as root"
    munged --force 2>&1 || die "munged would not start" "$MUNGE_LOG"
  fi
  for i in $(seq 1 30); do munge_ok && break; sleep 0.5; done
  munge_ok || die "munged started but 'munge -n | unmunge' fails" "$MUNGE_LOG"
  log "munged up (pid $(daemon_pids munged "$MUNGE_PID" | tr '\n' ' '))"
fi

# ---------------------------------------------------------------------------------------------
step "slurm.conf"
node=$(hostname -s 2>/dev/null || true)
if ! [[ "$node" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]]; then
  warn "unusable short hostname '$node'; naming the node localhost"
  node=localhost
fi
cpus=$(nproc)
hw=$(timeout 30 slurmd -C 2>/dev/null | head -n1 || true)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
if ! [[ "$mem" =~ ^[0-9]+$ ]] || [ "$mem" -le 0 ]; then
  mem=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
  warn "slurmd -C gave no RealMemory ('$hw'); using MemTotal ${mem} MB"
fi
# A bit below what slurmd reports, so the node is never drained for "Low RealMemory".
realmem=$(( mem * 95 / 100 ))
[ "$realmem" -ge 1 ] || realmem=1
log "node $node: CPUs=$cpus RealMemory=$realmem (slurmd -C: ${hw:-n/a})"

install -d -m 0755 "$CONF_DIR" "$LOG_DIR"
install -d -m 0755 "$STATE_DIR" "$SPOOL_DIR"
chown root:root "$STATE_DIR" "$SPOOL_DIR"
new_conf=$(mktemp)
trap 'rm -f "$new_conf"' EXIT
# CPUs only (no Sockets/Cores/Threads): with CR_CPU this lets each task take a single CPU even
# on hyper-threaded machines.
cat >"$new_conf" <<EOF
# Generated by scripts/ci-services.sh: single-node Slurm for the samlab end-to-end tests.
# Rewritten on every run; local edits are lost.
ClusterName=$CLUSTER
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
MaxArraySize=10001
MaxJobCount=100000
NodeName=$node NodeHostname=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$realmem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
conf_changed=0
if [ -f "$CONF" ] && cmp -s "$new_conf" "$CONF"; then
  log "$CONF unchanged"
else
  if [ -f "$CONF" ] && ! grep -q '^# Generated by scripts/ci-services.sh' "$CONF"; then
    bak="$CONF.bak.$(date +%Y%m%d%H%M%S)"
    log "keeping the previous $CONF as $bak"
    cp -p "$CONF" "$bak"
  fi
  install -m 0644 "$new_conf" "$CONF"
  conf_changed=1
  log "wrote $CONF"
fi
# State saved by a differently named cluster makes slurmctld refuse to start.
if [ -f "$STATE_DIR/clustername" ] && [ "$(cat "$STATE_DIR/clustername")" != "$CLUSTER" ]; then
  warn "removing $STATE_DIR/clustername (was '$(cat "$STATE_DIR/clustername")')"
  rm -f "$STATE_DIR/clustername"
fi

node_state() { timeout 15 sinfo -h -n "$node" -o %T 2>/dev/null | head -n1 || true; }
ctld_up() { local o; o=$(timeout 15 scontrol ping 2>/dev/null || true); [[ "$o" == *"is UP"* ]]; }

# ---------------------------------------------------------------------------------------------
step "slurm daemons"
healthy=0
if [ "$conf_changed" = 0 ] && [ "${SAMLAB_SERVICES_RESTART:-0}" != 1 ] \
   && running slurmctld "$CTLD_PID" && running slurmd "$SLURMD_PID" \
   && ctld_up; then
  case "$(node_state)" in
    idle|mixed|allocated|completing) healthy=1 ;;
  esac
fi
if [ "$healthy" = 1 ]; then
  log "slurmctld and slurmd already running with this configuration; node $node is $(node_state)"
else
  if [ "$(ps -o comm= -p 1 2>/dev/null || true)" = "systemd" ] && command -v systemctl >/dev/null 2>&1; then
    timeout 60 systemctl stop slurmd slurmctld >/dev/null 2>&1 || true   # units the packages may have started
  fi
  stop_daemon slurmd "$SLURMD_PID"
  stop_daemon slurmctld "$CTLD_PID"

  step "start slurmctld"
  out=$(slurmctld -i 2>&1) || die "slurmctld exited $? at startup: $out" "$CTLD_LOG"
  [ -n "$out" ] && log "slurmctld: $out"
  for i in $(seq 1 60); do
    ctld_up && break
    running slurmctld "$CTLD_PID" || { sleep 1; running slurmctld "$CTLD_PID" || die "slurmctld died after starting" "$CTLD_LOG"; }
    sleep 0.5
  done
  ctld_up || die "slurmctld does not answer 'scontrol ping' after 30 s" "$CTLD_LOG"
  log "slurmctld up (pid $(daemon_pids slurmctld "$CTLD_PID" | tr '\n' ' '))"

  step "start slurmd"
  out=$(slurmd -N "$node" 2>&1) || die "slurmd exited $? at startup: $out" "$SLURMD_LOG"
  [ -n "$out" ] && log "slurmd: $out"
  sleep 0.5
  running slurmd "$SLURMD_PID" || { sleep 1; running slurmd "$SLURMD_PID" || die "slurmd died after starting" "$SLURMD_LOG"; }
  log "slurmd up (pid $(daemon_pids slurmd "$SLURMD_PID" | tr '\n' ' '))"
fi

# ---------------------------------------------------------------------------------------------
step "wait for node $node to be idle"
deadline=$(( $(date +%s) + WAIT_SECS ))
last_resume=0
state=""
while :; do
  state=$(node_state)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
  esac
  now=$(date +%s)
  [ "$now" -lt "$deadline" ] || die "node $node is '${state:-unknown}' after ${WAIT_SECS} s (sinfo: $(timeout 15 sinfo -N -h -o '%N %T %E' 2>&1 || true))" "$SLURMD_LOG" "$CTLD_LOG"
  case "$state" in
    down|drain*|drained|fail*)
      if [ $(( now - last_resume )) -ge 5 ]; then
        log "node $node is $state ($(timeout 15 sinfo -h -n "$node" -o %E 2>/dev/null || true)); resuming it"
        timeout 15 scontrol update nodename="$node" state=resume 2>&1 || true
        last_resume=$now
      fi ;;
  esac
  running slurmd "$SLURMD_PID" || die "slurmd is no longer running" "$SLURMD_LOG"
  running slurmctld "$CTLD_PID" || die "slurmctld is no longer running" "$CTLD_LOG"
  sleep 1
done

STEP="done"
log "ready in $(( $(date +%s) - T0 )) s: GNU parallel $(timeout 20 parallel --version </dev/null | head -n1 | awk '{print $3}'), munged, slurmctld, slurmd; node $node is $state"
timeout 15 sinfo || true
