#!/usr/bin/env bash
# real-server-bench.sh - the controller in reconcile mode against a real kube-apiserver 1.20.2 with many Deployments.
#
# Usage: src/test/k8s/real-server-bench.sh [COUNT] [RESTARTS]      (defaults: 10000 Deployments, 3 restarts)
#        JARS="a.jar b.jar" src/test/k8s/real-server-bench.sh ...      (compare jars: each restart runs every jar in turn)
#
# Needs target/sidecar-initializer.jar (./mvnw -q -B package -DskipTests), kubectl, curl and the cached
# kube-apiserver (kube-env.sh builds it on first use). It
#   1. starts etcd + kube-apiserver (no kube-controller-manager) with kube-env.sh in a temporary directory;
#   2. creates COUNT Deployments (not injected) in 20 namespaces with kubectl;
#   3. runs the jar as manifests/reconcile/deployment.yaml runs it: its memory limit as -XX:MaxRAM, its
#      JAVA_TOOL_OPTIONS and MALLOC_ARENA_MAX, `controller --mode=reconcile`; prints start-to-ready, then
#      waits until all COUNT are injected and the process is idle, and prints the time, CPU and RSS;
#   4. restarts it RESTARTS times on the injected Deployments (each of JARS in turn): start-to-ready and RSS once idle;
#   5. stops everything (also on Ctrl-C).
# Figures are this machine's, with the API server and etcd on the same CPUs.
set -euo pipefail

COUNT=${1:-10000}
RESTARTS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
read -r -a JARS <<< "${JARS:-$ROOT/target/sidecar-initializer.jar}"
DEPLOYMENT="$ROOT/manifests/reconcile/deployment.yaml"
for jar in "${JARS[@]}"; do
    [ -f "$jar" ] || { echo "no $jar: run ./mvnw -q -B package -DskipTests first" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/sidecar-real-bench.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    bash "$HERE/kube-env.sh" stop "$DIR" >/dev/null 2>&1 || true
    rm -f "$DIR"/deployments-*.json
    echo "logs (controller, kube-apiserver, etcd) in $DIR"
}
trap cleanup EXIT

# The Deployment's JVM: its memory limit and JAVA_TOOL_OPTIONS, read from the manifest.
LIMIT=$(grep -A3 'limits:' "$DEPLOYMENT" | sed -n 's/.*memory: *"*\([0-9]*\)Mi"*.*/\1/p' | head -1)
OPTIONS=$(grep -A1 'name: JAVA_TOOL_OPTIONS' "$DEPLOYMENT" | sed -n 's/.*value: *"\(.*\)"/\1/p')
[ -n "$LIMIT" ] && [ -n "$OPTIONS" ] || { echo "cannot read the memory limit or JAVA_TOOL_OPTIONS of $DEPLOYMENT" >&2; exit 1; }
echo "JVM: -XX:MaxRAM=${LIMIT}m $OPTIONS; MALLOC_ARENA_MAX=2"

# No kube-controller-manager: 10,000 Deployments would also make 10,000 ReplicaSets and Pods, which is not what
# this measures (and the figures in README were taken without it).
SIDECAR_KUBE_CONTROLLER_MANAGER=false bash "$HERE/kube-env.sh" start "$DIR" 2>&1 | tail -1
export KUBECONFIG="$DIR/kubeconfig"

echo "creating $COUNT Deployments in 20 namespaces"
for n in $(seq -w 0 19); do printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"load%s"}}\n' "$n"; done \
    | kubectl create -f - >/dev/null
per_file=1000
files=$(( (COUNT + per_file - 1) / per_file ))
for f in $(seq 0 $((files - 1))); do
    {
        printf '{"apiVersion":"v1","kind":"List","items":['
        first=1
        for i in $(seq $((f * per_file)) $(( (f + 1) * per_file - 1 ))); do
            [ "$i" -ge "$COUNT" ] && break
            name=$(printf 'd%05d' "$i"); ns=$(printf 'load%02d' $((i % 20)))
            [ $first = 1 ] || printf ','
            first=0
            printf '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"%s","labels":{"app":"%s"}},' "$name" "$ns" "$name"
            printf '"spec":{"replicas":1,"selector":{"matchLabels":{"app":"%s"}},"template":{"metadata":{"labels":{"app":"%s"}},' "$name" "$name"
            printf '"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1.0","ports":[{"containerPort":8080}]}]}}}}'
        done
        printf ']}\n'
    } > "$DIR/deployments-$f.json"
done
start=$(date +%s)
for f in $(seq 0 $((files - 1))); do
    kubectl create -f "$DIR/deployments-$f.json" >/dev/null &
    [ $(( (f + 1) % 2 )) = 0 ] && wait
done
wait
echo "created in $(( $(date +%s) - start )) s"

rss() { awk '/VmRSS/ {printf "%d MiB", $2 / 1024}' "/proc/$PID/status"; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$PID/stat"; }
injections() { curl -s "localhost:$PORT/metrics" | awk '/^sidecar_injections_total/ && /result="injected"/ {s += $2} END {printf "%d", s}'; }

# Starts the controller (jar $2); prints start-to-ready.
run() {
    PORT=$(( 20000 + RANDOM % 20000 ))
    local t0 t1
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX=2 java -XX:MaxRAM="${LIMIT}m" $OPTIONS -jar "$2" controller --mode=reconcile \
        --http-port="$PORT" --leader-election=false --identity=real-server-bench > "$DIR/controller-$1.log" 2>&1 &
    PID=$!
    until curl -sf "localhost:$PORT/readyz" >/dev/null 2>&1; do
        kill -0 "$PID" 2>/dev/null || { echo "the controller died; see $DIR/controller-$1.log" >&2; tail -5 "$DIR/controller-$1.log" >&2; exit 1; }
        sleep 0.05
    done
    t1=$(date +%s%N)
    echo "$1: start-to-ready $(( (t1 - t0) / 1000000 )) ms; RSS $(rss), CPU $(cpu) s"
}

# Waits until the process has used no CPU for 10 s (the Events of a burst go out after it).
idle() {
    local before after
    before=$(cpu)
    while sleep 10; after=$(cpu); [ "$after" != "$before" ] && awk -v a="$after" -v b="$before" 'BEGIN {exit !(a - b > 0.2)}'; do
        before=$after
    done
}

stop() {
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

run first "${JARS[0]}"
t0=$(date +%s)
until [ "$(injections)" -ge "$COUNT" ]; do
    sleep 1
    [ $(( $(date +%s) - t0 )) -gt 900 ] && { echo "not all injected after 900 s: $(injections)" >&2; exit 1; }
done
echo "first: all $COUNT injected $(( $(date +%s) - t0 )) s after ready; CPU $(cpu) s"
idle
echo "first: idle: RSS $(rss), CPU $(cpu) s"
stop

for r in $(seq 1 "$RESTARTS"); do
    for j in "${!JARS[@]}"; do
        label="restart-$r"
        [ "${#JARS[@]}" = 1 ] || label="$label-$(basename "${JARS[$j]}" .jar)"
        run "$label" "${JARS[$j]}"
        idle
        echo "$label: idle: RSS $(rss), CPU $(cpu) s"
        stop
    done
done
