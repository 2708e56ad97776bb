#!/usr/bin/env bash
# image-bench.sh - start-to-ready of the controller in its image against the same jar outside it, and its RSS
# under the Deployment's memory limit, on a real kube-apiserver 1.20.2 (src/test/k8s/kube-env.sh).
#
# Usage: src/test/image/image-bench.sh [REPETITIONS]      (default 5)
#
# Needs target/sidecar-initializer.jar, the image (`bash src/test/image/build-image.sh build` writes
# target/image/image.env), kubectl and curl. Each repetition starts three variants, in an order that rotates,
# and times from the start command to the first 200 from /readyz (polled every 20 ms), with the JVM's CPU time
# (user + system) by then, which a loaded machine distorts less; then reads the RSS 5 s later:
#   image        the image as manifests/reconcile/deployment.yaml runs it: podman run on host network, read-only
#                root filesystem, the memory limit, the ServiceAccount mount, the Deployment's environment;
#   image-nocds  the same with -Xshare:off: what the class-data sharing archive saves;
#   jar          java -jar target/sidecar-initializer.jar on this machine's JVM, same JAVA_TOOL_OPTIONS, the memory
#                limit as -XX:MaxRAM, the ServiceAccount's token in a kubeconfig.
# Each run has its own Lease, so none waits for the previous one's to expire. "image" includes podman's own
# container start (runc, mounts), which a kubelet pays too.
set -euo pipefail

REPS=${1:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
JAR="$ROOT/target/sidecar-initializer.jar"
DEPLOYMENT="$ROOT/manifests/reconcile/deployment.yaml"
BUILD="$HERE/build-image.sh"
[ -f "$JAR" ] || { echo "no $JAR: run ./mvnw -q -B package -DskipTests first" >&2; exit 1; }
[ -f "$ROOT/target/image/image.env" ] || { echo "no image: run bash $BUILD build first" >&2; exit 1; }
IMAGE=$(sed -n 's/^IMAGE=//p' "$ROOT/target/image/image.env")

LIMIT=$(grep -A3 'limits:' "$DEPLOYMENT" | sed -n 's/.*memory: *"*\([0-9]*\)Mi"*.*/\1/p' | head -1)
OPTIONS=$(grep -A1 'name: JAVA_TOOL_OPTIONS' "$DEPLOYMENT" | sed -n 's/.*value: *"\(.*\)"/\1/p')
ARGS=$(sed -n 's/.*args: *\[\(.*\)\]/\1/p' "$DEPLOYMENT" | sed 's/[",]/ /g')
[ -n "$LIMIT" ] && [ -n "$OPTIONS" ] && [ -n "$ARGS" ] || { echo "cannot read limit, JAVA_TOOL_OPTIONS or args of $DEPLOYMENT" >&2; exit 1; }

DIR=$(mktemp -d /tmp/sidecar-image-bench.XXXXXX)
RUNNING=""
PID=""
cleanup() {
    [ -n "$RUNNING" ] && bash "$BUILD" podman rm -f -t 0 "$RUNNING" >/dev/null 2>&1 || true
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    bash "$ROOT/src/test/k8s/kube-env.sh" stop "$DIR" >/dev/null 2>&1 || true
    echo "logs in $DIR"
}
trap cleanup EXIT

bash "$ROOT/src/test/k8s/kube-env.sh" start "$DIR" >/dev/null
set -a; . "$DIR/env"; set +a
kubectl apply -k "$ROOT/manifests/reconcile/" >/dev/null

mkdir -m 755 "$DIR/sa"
printf '%s' "$SIDECAR_KUBE_SA_TOKEN" >"$DIR/sa/token"
cp "$SIDECAR_KUBE_CA_FILE" "$DIR/sa/ca.crt"
printf 'istio-system' >"$DIR/sa/namespace"
chmod 644 "$DIR/sa/"*
cp "$KUBECONFIG" "$DIR/sa.kubeconfig"
kubectl --kubeconfig="$DIR/sa.kubeconfig" config set-credentials admin --token="$SIDECAR_KUBE_SA_TOKEN" >/dev/null

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# CPU time of a process so far, in ms (utime + stime, fields 14 and 15 after the parenthesised name).
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($12 + $13) * 1000 / hz }'; }
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# start VARIANT N PORT: starts it; sets PID (the JVM's pid on this host) and RUNNING (a container name, if any).
start() {
    local variant=$1 n=$2 port=$3 share="" extra=(--lease-name="bench-$n-$1" --identity="bench-$n-$1" --http-port="$port")
    case "$variant" in
        image | image-nocds)
            [ "$variant" = image-nocds ] && share=" -Xshare:off"
            RUNNING="sidecar-bench-$n-$variant"
            # shellcheck disable=SC2086 # ARGS is the manifest's word list
            bash "$BUILD" run -d --name "$RUNNING" --network=host --read-only --tmpfs /tmp:rw,mode=1777 \
                --cap-drop=ALL --security-opt=no-new-privileges --memory="${LIMIT}m" \
                -v "$DIR/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" \
                -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e KUBERNETES_SERVICE_PORT="$SIDECAR_KUBE_API_PORT" \
                -e "JAVA_TOOL_OPTIONS=$OPTIONS$share" -e MALLOC_ARENA_MAX=2 \
                "$IMAGE" $ARGS "${extra[@]}" >/dev/null
            PID=$(bash "$BUILD" podman inspect --format '{{.State.Pid}}' "$RUNNING")
            ;;
        jar)
            # shellcheck disable=SC2086
            KUBECONFIG="$DIR/sa.kubeconfig" JAVA_TOOL_OPTIONS="$OPTIONS" MALLOC_ARENA_MAX=2 \
                java -XX:MaxRAM="${LIMIT}m" -jar "$JAR" $ARGS "${extra[@]}" >"$DIR/jar-$n.log" 2>&1 &
            PID=$!
            ;;
    esac
}

stop() {
    if [ -n "$RUNNING" ]; then
        bash "$BUILD" podman logs "$RUNNING" >"$DIR/$RUNNING.log" 2>&1 || true
        bash "$BUILD" podman rm -f -t 15 "$RUNNING" >/dev/null
        RUNNING=""
    else
        kill "$PID"
        wait "$PID" 2>/dev/null || true
    fi
    PID=""
}

echo "JVM flags: $OPTIONS; memory limit ${LIMIT} MiB; args: $ARGS"
echo "image $IMAGE; outside: $(java -version 2>&1 | head -1)"
echo "memory limit the JVM in the image sees: $(bash "$BUILD" run --rm --memory="${LIMIT}m" --entrypoint java "$IMAGE" \
    -XshowSettings:system -version 2>&1 | sed -n 's/^ *Memory Limit: *//p')"
VARIANTS=(image image-nocds jar)
declare -A READY CPU RSS
for ((n = 1; n <= REPS; n++)); do
    for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
        v=${VARIANTS[$(((k + n) % ${#VARIANTS[@]}))]}
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        t0=$(now_ms)
        start "$v" "$n" "$port"
        until curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; do
            kill -0 "$PID" 2>/dev/null || { echo "$v run $n exited before ready; logs in $DIR" >&2; exit 1; }
            [ $(($(now_ms) - t0)) -lt 120000 ] || { echo "$v run $n not ready after 120 s" >&2; exit 1; }
            sleep 0.02
        done
        ms=$(($(now_ms) - t0))
        cpu=$(cpu_ms "$PID")
        sleep 5
        rss=$(rss_mib "$PID")
        stop
        READY[$v]="${READY[$v]:-} $ms"
        CPU[$v]="${CPU[$v]:-} $cpu"
        RSS[$v]="${RSS[$v]:-} $rss"
        printf 'run %d %-12s ready in %5d ms (CPU %5d ms), RSS %4d MiB\n' "$n" "$v" "$ms" "$cpu" "$rss"
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median of $REPS: start-to-ready, the JVM's CPU time by then, RSS 5 s after ready"
for v in "${VARIANTS[@]}"; do
    printf '  %-12s %5d ms  CPU %5d ms  %4d MiB   (ready: %s; CPU: %s)\n' "$v" "$(median <<<"${READY[$v]}")" \
        "$(median <<<"${CPU[$v]}")" "$(median <<<"${RSS[$v]}")" "${READY[$v]# }" "${CPU[$v]# }"
done
