#!/usr/bin/env bash
# kube-env.sh - a real Kubernetes API server (v1.20.2) + etcd + kube-controller-manager on loopback, for end-to-end tests.
#
# Usage:
#   kube-env.sh build                      build kube-apiserver and kube-controller-manager once and cache them (idempotent)
#   kube-env.sh start DIR [--token LINE]...  start etcd + kube-apiserver + kube-controller-manager with state in DIR
#   kube-env.sh stop DIR                   stop them, remove DIR's transient data (keeps *.log)
#   kube-env.sh status DIR                 exit 0 if the environment in DIR is running and ready
#   kube-env.sh path                       print the cached kube-apiserver path (builds if needed)
#
# What `build` does (needs root or passwordless sudo for apt-get the first time on a machine):
#   * apt-get installs golang-go etcd-server openssl curl if any is missing (after one apt-get update);
#   * downloads Debian's `kubernetes` source package (upstream 1.20.2 with vendor/) using a PRIVATE
#     apt source list that mirrors the machine's own Debian mirror/suite as deb-src (the machine's
#     /etc/apt is never modified);
#   * patches the vendored github.com/modern-go/reflect2 v1.0.1 to v1.0.2's Go >= 1.18 fix (without
#     it a Go 1.19 build segfaults on the first pretty-printed JSON response; see patch_reflect2);
#   * generates pkg/generated/openapi/zz_generated.openapi.go (missing from the tarball) with the
#     vendored openapi-gen, builds whichever of cmd/kube-apiserver and cmd/kube-controller-manager is not
#     cached, in one `go build` (GOPATH mode, GO111MODULE=off, CGO_ENABLED=0) with version ldflags, checks
#     each `--version`, then moves each atomically to
#       ${SIDECAR_KUBE_CACHE:-$HOME/.cache/sidecar-initializer}/kubernetes-1.20.2/bin/NAME
#   * each binary is its own cache entry: "done" = bin/NAME plus bin/NAME.recipe holding the current
#     BUILD_RECIPE (written last); a missing or stale one is rebuilt, a cached one is kept (so a cache made
#     before kube-controller-manager was added only builds that). Scratch work lives in
#     .../kubernetes-1.20.2/work; a retry after an interrupted build reuses its prepared source tree
#     (work/kubernetes/.kube-env-ready) and Go build cache; the work dir is deleted on success, unless
#     SIDECAR_KUBE_KEEP_WORK=1. An flock on .../kubernetes-1.20.2/build.lock serialises callers.
#   First build takes about 5-8 minutes on 2 cores; afterwards `build` returns at once.
#
# What `start DIR` does (DIR is created if missing; its path may only contain [A-Za-z0-9._/+@-]):
#   * picks free loopback ports, starts etcd and kube-apiserver bound to 127.0.0.1 only,
#     logs in DIR/etcd.log and DIR/kube-apiserver.log, pids in DIR/etcd.pid and DIR/kube-apiserver.pid;
#   * static token file DIR/tokens.csv (format: token,user,uid,"group1,group2") always contains
#       - a random admin token:  user "admin", group "system:masters"
#       - a random token for the operator's service account:
#           user "system:serviceaccount:istio-system:sidecar-initializer",
#           groups "system:serviceaccounts,system:serviceaccounts:istio-system"
#         (this identity has NO permissions until the tests apply RBAC for it)
#     plus any extra lines, in this order, from: DIR/extra-tokens.csv (if present before start),
#     the env var SIDECAR_KUBE_EXTRA_TOKENS (newline-separated lines), and each `--token LINE`;
#   * authorization mode RBAC, default admission plugins (incl. ServiceAccount admission, see below),
#     serving certificate self-signed by the apiserver (CA written to DIR/ca.crt);
#   * waits for /readyz (timeout ${SIDECAR_KUBE_START_TIMEOUT:-60}s, then prints the log tail and fails);
#   * starts kube-controller-manager (log DIR/kube-controller-manager.log, pid DIR/kube-controller-manager.pid)
#     as user system:kube-controller-manager (its own token and DIR/controller-manager.kubeconfig), with
#     only the controllers a test cluster needs: deployment, replicaset (Deployments get ReplicaSets and
#     Pods; no kubelet or scheduler runs, so Pods stay Pending), serviceaccount and serviceaccount-token
#     (every namespace gets a `default` ServiceAccount with a token, so bare Pods pass ServiceAccount
#     admission), namespace (deleted namespaces go away) and garbagecollector (owned objects follow);
#     waits for its /healthz and for the `default` ServiceAccount's token in namespace default.
#     SIDECAR_KUBE_CONTROLLER_MANAGER=false skips it;
#   * writes DIR/kubeconfig (context "sidecar-test", user "admin", CA embedded) and DIR/env.
#   Extra kube-apiserver flags can be passed in SIDECAR_KUBE_APISERVER_ARGS (split on whitespace),
#   e.g. SIDECAR_KUBE_APISERVER_ARGS="--disable-admission-plugins=ServiceAccount".
#
# DIR/env: one KEY=VALUE per line, no quoting (values never contain spaces or quotes), so it can be
# read by `set -a; . DIR/env; set +a` and by java.util.Properties alike. Keys:
#   KUBECONFIG  SIDECAR_KUBE_SERVER (https://127.0.0.1:PORT)  SIDECAR_KUBE_API_PORT
#   SIDECAR_KUBE_ETCD_PORT  SIDECAR_KUBE_ETCD_URL  SIDECAR_KUBE_CA_FILE  SIDECAR_KUBE_ADMIN_TOKEN
#   SIDECAR_KUBE_SA_USER  SIDECAR_KUBE_SA_TOKEN  SIDECAR_KUBE_TOKEN_FILE  SIDECAR_KUBE_VERSION  SIDECAR_KUBE_DIR
#   SIDECAR_KUBE_CONTROLLER_MANAGER (true|false: whether kube-controller-manager runs)
#
# Notes: no scheduler or kubelet runs, so
#   * Pods are created (admission webhooks and all) but stay Pending with no node;
#   * an admission webhook is reached with a `url` clientConfig on loopback (https://127.0.0.1:PORT/PATH, its
#     caBundle in the configuration; admissionregistration.k8s.io/v1 is served): a `service` clientConfig
#     would dial the Service's ClusterIP, which nothing routes here;
#   * a Pod created in a namespace that is only milliseconds old can still fail ServiceAccount admission
#     ("serviceaccount default not found", "No API token found") until the controllers catch up: wait for
#     `kubectl -n NS get serviceaccount default` to list a secret first;
#   * without kube-controller-manager (SIDECAR_KUBE_CONTROLLER_MANAGER=false), Deployments get no
#     ReplicaSets, deleted namespaces stay Terminating and bare Pods fail ServiceAccount admission unless
#     the SA exists and the pod sets automountServiceAccountToken: false;
#   * the apiserver logs "unable to sync kubernetes service ... may not be in the loopback range" every
#     10s because it advertises 127.0.0.1; harmless.
# Processes run in their own session (setsid) with output in DIR/*.log, so a caller (e.g. a JVM
# reading this script's output) is never held open by them; always call `stop DIR` afterwards.
set -euo pipefail

readonly KUBE_VERSION="1.20.2"
readonly KUBE_GIT_COMMIT="faecb196815e248d3ecfb03c680a4507229c2a56"
readonly KUBE_BUILD_DATE="2021-01-13T13:20:00Z"
readonly SA_USER="system:serviceaccount:istio-system:sidecar-initializer"
readonly SA_GROUPS="system:serviceaccounts,system:serviceaccounts:istio-system"

CACHE_ROOT="${SIDECAR_KUBE_CACHE:-${HOME:-/root}/.cache/sidecar-initializer}"
VERSION_DIR="${CACHE_ROOT}/kubernetes-${KUBE_VERSION}"
BIN_DIR="${VERSION_DIR}/bin"
APISERVER_BIN="${BIN_DIR}/kube-apiserver"
CONTROLLER_MANAGER_BIN="${BIN_DIR}/kube-controller-manager"
# The binaries `build` makes, each cached on its own (cmd/NAME in the source tree, bin/NAME in the cache).
readonly BINARIES=(kube-apiserver kube-controller-manager)
# Bump when the build recipe changes (patches, flags): a binary without a matching stamp is rebuilt.
readonly BUILD_RECIPE="kube-env-r2 reflect2-go118-fix"
# What kube-controller-manager runs: Deployments -> ReplicaSets -> Pods, ServiceAccounts with tokens,
# namespace deletion and owner-reference cleanup; nothing that needs nodes or a cloud.
readonly CONTROLLERS="deployment,replicaset,serviceaccount,serviceaccount-token,namespace,garbagecollector"
START_TIMEOUT="${SIDECAR_KUBE_START_TIMEOUT:-60}"

log() { printf '[kube-env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

ensure_packages() {
  local missing=() pkg
  for pkg in golang-go etcd-server openssl curl; do
    if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("${pkg}")
    fi
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing apt packages: ${missing[*]}"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# Writes a deb-src entry for the machine's own Debian mirror and suite into $1 (a directory).
write_deb_src_list() {
  local dest="$1" codename uri="" keyring="" f
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  [[ -n "${codename}" ]] || die "cannot determine the Debian codename from /etc/os-release"
  if [[ -n "${SIDECAR_KUBE_APT_MIRROR:-}" ]]; then
    uri="${SIDECAR_KUBE_APT_MIRROR}"
  else
    # deb822 files: first stanza with Types: deb whose Suites include the codename and Components main.
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f "${f}" ]] || continue
      local line
      line="$(awk -v cn="${codename}" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " cn " ") && (" " comps " ") ~ / main /)
            { print uris "\t" signed; found = 1; exit }
          types = ""; uris = ""; suites = ""; comps = ""; signed = ""
        }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]*#/ { next }
        tolower($1) == "types:" { $1 = ""; types = $0 }
        tolower($1) == "uris:" { uris = $2 }
        tolower($1) == "suites:" { $1 = ""; suites = $0 }
        tolower($1) == "components:" { $1 = ""; comps = $0 }
        tolower($1) == "signed-by:" { signed = $2 }
        END { if (!found) flush() }
      ' "${f}")"
      if [[ -n "${line}" ]]; then
        uri="${line%%$'\t'*}"
        keyring="${line#*$'\t'}"
        break
      fi
    done
    # one-line format
    if [[ -z "${uri}" ]]; then
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "${f}" ]] || continue
        uri="$(awk -v cn="${codename}" '
          $1 == "deb" {
            i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == cn) { for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit } }
          }' "${f}")"
        [[ -n "${uri}" ]] && break
      done
    fi
    [[ -n "${uri}" ]] || uri="http://deb.debian.org/debian"
  fi
  if [[ -z "${keyring}" && -f /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  fi
  {
    echo "Types: deb-src"
    echo "URIs: ${uri}"
    echo "Suites: ${codename}"
    echo "Components: main"
    [[ -n "${keyring}" && "${keyring}" != "-" ]] && echo "Signed-By: ${keyring}"
    true
  } >"${dest}/kube-env-src.sources"
  log "using deb-src ${uri} ${codename} main"
}

download_source() {
  local work="$1" aptdir="$1/apt"
  rm -rf "${aptdir}"
  mkdir -p "${aptdir}/sources" "${aptdir}/lists/partial" "${aptdir}/dl"
  write_deb_src_list "${aptdir}/sources"
  local -a opts=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=${aptdir}/sources"
    -o "Dir::State::Lists=${aptdir}/lists"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "APT::Sandbox::User=root"
  )
  log "apt-get update (private deb-src list)"
  apt-get "${opts[@]}" update -qq >&2
  log "downloading Debian source package 'kubernetes'"
  (cd "${aptdir}/dl" && apt-get "${opts[@]}" source --download-only -qq kubernetes >&2)
  local tarball
  tarball="$(find "${aptdir}/dl" -maxdepth 1 -name 'kubernetes_*.orig.tar.*' | head -n1)"
  [[ -n "${tarball}" ]] || die "no kubernetes_*.orig.tar.* downloaded"
  case "$(basename "${tarball}")" in
    *"really${KUBE_VERSION}.orig"* | "kubernetes_${KUBE_VERSION}.orig"*) ;;
    *) die "Debian's kubernetes source is $(basename "${tarball}"), expected upstream ${KUBE_VERSION}" ;;
  esac
  log "extracting $(basename "${tarball}")"
  rm -rf "${work}/src-extract"
  mkdir -p "${work}/src-extract"
  tar -xf "${tarball}" -C "${work}/src-extract"
  local top
  top="$(find "${work}/src-extract" -mindepth 1 -maxdepth 1 -type d | head -n1)"
  [[ -f "${top}/cmd/kube-apiserver/apiserver.go" ]] || die "unexpected source layout in ${tarball}"
  rm -rf "${work}/kubernetes"
  mv "${top}" "${work}/kubernetes"
  rm -rf "${work}/src-extract" "${aptdir}"
}

go_env() {
  # Environment for a GOPATH-mode build rooted in $1 (the work dir).
  export GOPATH="$1/gopath" GOCACHE="$1/gocache" GO111MODULE=off CGO_ENABLED=0 GOFLAGS=
  export GOTOOLCHAIN=local
  unset GOROOT GOBIN GOOS GOARCH
}

# Kubernetes 1.20 vendors github.com/modern-go/reflect2 v1.0.1, whose linkname to reflect.mapiterinit
# has the pre-Go-1.18 signature. Built with Go >= 1.18 the apiserver then crashes with
# "fatal error: fault ... aeshashbody ... reflect2.(*UnsafeMapType).UnsafeIterate" as soon as
# json-iterator encodes a map with sorted keys (e.g. any pretty-printed JSON response, which the
# apiserver sends to curl). Apply the upstream reflect2 v1.0.2 fix (caller-allocated hiter).
patch_reflect2() {
  local r2="$1/vendor/github.com/modern-go/reflect2"
  [[ -f "${r2}/unsafe_link.go" ]] || die "vendored reflect2 not found"
  if [[ -f "${r2}/go_above_118.go" ]]; then
    return 0 # already fixed upstream (reflect2 >= 1.0.2)
  fi
  log "patching vendored modern-go/reflect2 v1.0.1 for Go >= 1.18 (mapiterinit signature)"
  perl -0pi -e '
    s{// m escapes into the return value.*?func mapiterinit\([^\n]*\n}{}s or die "mapiterinit decl not found\n";
    s{type hiter struct \{.*?\n\}\n}{type hiter struct {
\tkey         unsafe.Pointer
\tvalue       unsafe.Pointer
\tt           unsafe.Pointer
\th           unsafe.Pointer
\tbuckets     unsafe.Pointer
\tbptr        unsafe.Pointer
\toverflow    *[]unsafe.Pointer
\toldoverflow *[]unsafe.Pointer
\tstartBucket uintptr
\toffset      uint8
\twrapped     bool
\tB           uint8
\ti           uint8
\tbucket      uintptr
\tcheckBucket uintptr
}
}s or die "hiter struct not found\n";
  ' "${r2}/unsafe_link.go"
  perl -0pi -e '
    s{func \(type2 \*UnsafeMapType\) UnsafeIterate\(obj unsafe.Pointer\) MapIterator \{.*?\n\}\n}{}s
      or die "UnsafeIterate not found\n";
  ' "${r2}/unsafe_map.go"
  cat >"${r2}/go_above_118.go" <<'EOF'
//+build go1.18

package reflect2

import (
	"unsafe"
)

// m escapes into the return value, but the caller of mapiterinit
// doesn't let the return value escape.
//go:noescape
//go:linkname mapiterinit reflect.mapiterinit
func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer, it *hiter)

func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
	var it hiter
	m := *(*unsafe.Pointer)(obj)
	mapiterinit(type2.rtype, m, &it)
	return &UnsafeMapIterator{
		hiter:      &it,
		pKeyRType:  type2.pKeyRType,
		pElemRType: type2.pElemRType,
	}
}
EOF
  cat >"${r2}/go_below_118.go" <<'EOF'
//+build !go1.18

package reflect2

import (
	"unsafe"
)

// m escapes into the return value, but the caller of mapiterinit
// doesn't let the return value escape.
//go:noescape
//go:linkname mapiterinit reflect.mapiterinit
func mapiterinit(rtype unsafe.Pointer, m unsafe.Pointer) (val *hiter)

func (type2 *UnsafeMapType) UnsafeIterate(obj unsafe.Pointer) MapIterator {
	m := *(*unsafe.Pointer)(obj)
	return &UnsafeMapIterator{
		hiter:      mapiterinit(type2.rtype, m),
		pKeyRType:  type2.pKeyRType,
		pElemRType: type2.pElemRType,
	}
}
EOF
}

generate_openapi() {
  local work="$1" root="$1/gopath/src/k8s.io/kubernetes"
  cd "${root}"
  log "building vendored openapi-gen"
  go build -o "${work}/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  local dirs
  dirs="$(grep -RlE --include='*.go' '^// *\+k8s:openapi-gen=' pkg vendor cmd plugin \
    | xargs -n1 dirname | LC_ALL=C sort -u \
    | grep -vE '^vendor/k8s\.io/(code-generator|sample-apiserver)(/|$)' \
    | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)"
  [[ -n "${dirs}" ]] || die "no +k8s:openapi-gen packages found"
  log "generating pkg/generated/openapi ($(tr ',' '\n' <<<"${dirs}" | wc -l) packages)"
  "${work}/openapi-gen" \
    --logtostderr \
    -i "${dirs}" \
    -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi \
    -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    -r "${work}/openapi-violations.report" \
    >"${work}/openapi-gen.log" 2>&1 || { tail -n 40 "${work}/openapi-gen.log" >&2; die "openapi-gen failed"; }
  [[ -s pkg/generated/openapi/zz_generated.openapi.go ]] || die "openapi-gen produced no output"
}

build_binaries() { # work name...
  local work="$1" root="$1/gopath/src/k8s.io/kubernetes" key val name
  shift
  local -a ldflags=(-s -w)
  for key in gitVersion gitMajor gitMinor gitCommit gitTreeState buildDate; do
    case "${key}" in
      gitVersion) val="v${KUBE_VERSION}" ;;
      gitMajor) val="${KUBE_VERSION%%.*}" ;;
      gitMinor) val="$(cut -d. -f2 <<<"${KUBE_VERSION}")" ;;
      gitCommit) val="${KUBE_GIT_COMMIT}" ;;
      gitTreeState) val="clean" ;;
      buildDate) val="${KUBE_BUILD_DATE}" ;;
    esac
    # In GOPATH mode vendored packages are linked under their vendor/ path.
    ldflags+=(
      "-X=k8s.io/kubernetes/vendor/k8s.io/component-base/version.${key}=${val}"
      "-X=k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version.${key}=${val}"
    )
  done
  cd "${root}"
  local -a pkgs=()
  for name in "$@"; do pkgs+=("./cmd/${name}"); done
  log "go build ${pkgs[*]} (3-10 minutes on 2 cores)"
  local start=${SECONDS}
  rm -rf "${work}/out"
  mkdir -p "${work}/out"
  # One invocation: the binaries share most packages, compiled once.
  go build -o "${work}/out/" -ldflags "${ldflags[*]}" "${pkgs[@]}"
  log "go build finished in $((SECONDS - start))s"
  local v
  for name in "$@"; do
    v="$("${work}/out/${name}" --version 2>&1)"
    [[ "${v}" == "Kubernetes v${KUBE_VERSION}" ]] || die "built ${name} reports '${v}', expected 'Kubernetes v${KUBE_VERSION}'"
  done
}

is_cached() { # name
  local bin="${BIN_DIR}/$1"
  [[ -x "${bin}" && -f "${bin}.recipe" && "$(cat "${bin}.recipe")" == "${BUILD_RECIPE}" ]]
}

# The binaries of BINARIES that are not cached, space-separated (empty when all are).
missing_binaries() {
  local name missing=()
  for name in "${BINARIES[@]}"; do
    is_cached "${name}" || missing+=("${name}")
  done
  echo "${missing[*]}"
}

# Moves work/out/NAME into the cache atomically; the recipe stamp, written last, marks it complete.
install_binary() { # work name
  local work="$1" name="$2" bin="${BIN_DIR}/$2"
  mv -f "${work}/out/${name}" "${bin}.tmp.$$"
  rm -f "${bin}.recipe"
  mv -f "${bin}.tmp.$$" "${bin}" # atomic rename inside bin/
  echo "${BUILD_RECIPE}" >"${bin}.recipe.tmp.$$"
  mv -f "${bin}.recipe.tmp.$$" "${bin}.recipe"
}

do_build_locked() {
  local work="${VERSION_DIR}/work" ready
  local -a missing
  read -r -a missing <<<"$(missing_binaries)"
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0 # another caller finished while we waited for the lock
  fi
  local t0=${SECONDS}
  ensure_packages
  mkdir -p "${work}" "${BIN_DIR}"
  ready="${work}/kubernetes/.kube-env-ready"
  go_env "${work}"
  if [[ -f "${ready}" && "$(cat "${ready}")" == "${BUILD_RECIPE}" ]]; then
    log "reusing the prepared source tree in ${work}/kubernetes"
  else
    download_source "${work}"
    patch_reflect2 "${work}/kubernetes"
  fi
  mkdir -p "${GOPATH}/src/k8s.io"
  ln -sfn "${work}/kubernetes" "${GOPATH}/src/k8s.io/kubernetes"
  log "using $(go version)"
  if [[ ! -f "${ready}" ]]; then
    generate_openapi "${work}"
    echo "${BUILD_RECIPE}" >"${ready}" # downloaded, patched and generated: a retry starts at go build
  fi
  build_binaries "${work}" "${missing[@]}"
  local name
  for name in "${missing[@]}"; do
    install_binary "${work}" "${name}"
  done
  if [[ "${SIDECAR_KUBE_KEEP_WORK:-0}" != 1 ]]; then
    chmod -R u+w "${work}" 2>/dev/null || true
    rm -rf "${work}"
  fi
  log "built ${missing[*]} in $((SECONDS - t0))s"
}

cmd_build() {
  local missing
  missing="$(missing_binaries)"
  if [[ -z "${missing}" ]]; then
    log "cached: ${BIN_DIR}/{${BINARIES[*]}}"
    return 0
  fi
  mkdir -p "${VERSION_DIR}"
  log "not cached for v${KUBE_VERSION}: ${missing}; building (waiting for build lock if needed)"
  # Subshell so the lock fd is closed before anything else (e.g. daemons started later) runs.
  (
    exec 9>"${VERSION_DIR}/build.lock"
    flock 9
    do_build_locked
  )
  missing="$(missing_binaries)"
  [[ -z "${missing}" ]] || die "build did not produce ${missing} in ${BIN_DIR}"
}

# ---------------------------------------------------------------------------------------------
# start / stop / status
# ---------------------------------------------------------------------------------------------

check_dir_arg() {
  [[ $# -ge 1 && -n "$1" ]] || usage
  [[ "$1" =~ ^[A-Za-z0-9._/+@-]+$ ]] || die "DIR '$1' may only contain [A-Za-z0-9._/+@-]"
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

# Prints N distinct free TCP ports on 127.0.0.1.
free_ports() {
  local n="$1"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
  else
    local used ports=() p
    used="$(ss -Htan | awk '{print $4}' | sed 's/.*://' | sort -u)"
    while [[ ${#ports[@]} -lt ${n} ]]; do
      p=$((20000 + RANDOM % 30000))
      grep -qx "${p}" <<<"${used}" && continue
      [[ " ${ports[*]} " == *" ${p} "* ]] && continue
      ports+=("${p}")
    done
    echo "${ports[*]}"
  fi
}

# pid from $1 if that process is alive and its command line mentions DIR $2.
live_pid() {
  local pidfile="$1" dir="$2" pid
  [[ -f "${pidfile}" ]] || return 1
  pid="$(cat "${pidfile}" 2>/dev/null || true)"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "${dir}/" || return 1
  echo "${pid}"
}

kill_pidfile() {
  local pidfile="$1" dir="$2" name="$3" pid i
  if pid="$(live_pid "${pidfile}" "${dir}")"; then
    log "stopping ${name} (pid ${pid})"
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${pid}" 2>/dev/null; then
      log "${name} did not exit after TERM; sending KILL"
      kill -KILL "${pid}" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
      done
    fi
  fi
  rm -f "${pidfile}"
}

cleanup_dir() {
  local dir="$1"
  kill_pidfile "${dir}/kube-controller-manager.pid" "${dir}" kube-controller-manager
  kill_pidfile "${dir}/kube-apiserver.pid" "${dir}" kube-apiserver
  kill_pidfile "${dir}/etcd.pid" "${dir}" etcd
  rm -rf "${dir}/etcd-data" "${dir}/pki" "${dir}/sa.key" "${dir}/sa.pub" "${dir}/tokens.csv" \
    "${dir}/kubeconfig" "${dir}/controller-manager.kubeconfig" "${dir}/controller-manager-pki" "${dir}/env" "${dir}/ca.crt"
}

random_token() { openssl rand -hex 24; }

wait_http() { # name url timeout pid [curl args...]
  local name="$1" url="$2" timeout="$3" pid="$4"
  shift 4
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if curl -fsS -o /dev/null --max-time 2 "$@" "${url}" 2>/dev/null; then
      return 0
    fi
    kill -0 "${pid}" 2>/dev/null || return 2
    sleep 0.25
  done
  return 1
}

start_daemon() { # pidfile logfile cmd...
  local pidfile="$1" logfile="$2"
  shift 2
  # New session, no inherited stdin/stdout/stderr: a caller reading our output is never held open.
  setsid "$@" </dev/null >>"${logfile}" 2>&1 9>&- &
  echo $! >"${pidfile}"
}

cmd_start() {
  check_dir_arg "$@"
  local dir
  dir="$(abs_dir "$1")"
  shift
  local -a cli_tokens=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --token) [[ $# -ge 2 ]] || die "--token needs a value"; cli_tokens+=("$2"); shift 2 ;;
      --token=*) cli_tokens+=("${1#--token=}"); shift ;;
      *) die "unknown start option: $1" ;;
    esac
  done

  if live_pid "${dir}/kube-apiserver.pid" "${dir}" >/dev/null || live_pid "${dir}/etcd.pid" "${dir}" >/dev/null \
    || live_pid "${dir}/kube-controller-manager.pid" "${dir}" >/dev/null; then
    die "an environment is already running in ${dir}; run: $0 stop ${dir}"
  fi
  cmd_build
  command -v etcd >/dev/null || die "etcd not found"
  cleanup_dir "${dir}"
  local t0=${SECONDS}

  local etcd_port peer_port api_port cm_port
  read -r etcd_port peer_port api_port cm_port <<<"$(free_ports 4)"
  [[ -n "${cm_port}" ]] || die "could not pick free ports"

  # On any failure from here on, stop what was started.
  trap 'rc=$?; if [[ ${rc} -ne 0 ]]; then log "start failed; cleaning up ${dir}"; cleanup_dir "${dir}"; fi' EXIT

  log "starting etcd on 127.0.0.1:${etcd_port}"
  mkdir -p "${dir}/etcd-data"
  chmod 700 "${dir}/etcd-data"
  start_daemon "${dir}/etcd.pid" "${dir}/etcd.log" etcd \
    --name sidecar-test \
    --data-dir "${dir}/etcd-data" \
    --listen-client-urls "http://127.0.0.1:${etcd_port}" \
    --advertise-client-urls "http://127.0.0.1:${etcd_port}" \
    --listen-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-cluster "sidecar-test=http://127.0.0.1:${peer_port}" \
    --initial-cluster-state new \
    --logger zap --log-outputs stderr --log-level warn
  local rc=0
  wait_http etcd "http://127.0.0.1:${etcd_port}/health" 30 "$(cat "${dir}/etcd.pid")" || rc=$?
  if [[ ${rc} -ne 0 ]]; then
    tail -n 30 "${dir}/etcd.log" >&2 || true
    die "etcd did not become healthy (rc=${rc})"
  fi

  openssl genrsa -out "${dir}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${dir}/sa.key" -pubout -out "${dir}/sa.pub" 2>/dev/null
  local admin_token sa_token cm_token line
  admin_token="$(random_token)"
  sa_token="$(random_token)"
  cm_token="$(random_token)"
  (
    umask 077
    {
      echo "${admin_token},admin,admin,\"system:masters\""
      echo "${sa_token},${SA_USER},sidecar-initializer,\"${SA_GROUPS}\""
      # The bootstrap RBAC policy binds this user to the role system:kube-controller-manager.
      echo "${cm_token},system:kube-controller-manager,system:kube-controller-manager"
      if [[ -f "${dir}/extra-tokens.csv" ]]; then
        grep -vE '^[[:space:]]*(#|$)' "${dir}/extra-tokens.csv" || true
      fi
      if [[ -n "${SIDECAR_KUBE_EXTRA_TOKENS:-}" ]]; then
        grep -vE '^[[:space:]]*(#|$)' <<<"${SIDECAR_KUBE_EXTRA_TOKENS}" || true
      fi
      for line in "${cli_tokens[@]+"${cli_tokens[@]}"}"; do echo "${line}"; done
    } >"${dir}/tokens.csv"
  )

  local -a extra_args=()
  if [[ -n "${SIDECAR_KUBE_APISERVER_ARGS:-}" ]]; then
    read -r -a extra_args <<<"${SIDECAR_KUBE_APISERVER_ARGS}"
  fi
  log "starting kube-apiserver v${KUBE_VERSION} on https://127.0.0.1:${api_port}"
  mkdir -p "${dir}/pki"
  start_daemon "${dir}/kube-apiserver.pid" "${dir}/kube-apiserver.log" "${APISERVER_BIN}" \
    --etcd-servers "http://127.0.0.1:${etcd_port}" \
    --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 \
    --secure-port "${api_port}" \
    --insecure-port 0 \
    --cert-dir "${dir}/pki" \
    --token-auth-file "${dir}/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-key-file "${dir}/sa.pub" \
    --service-account-signing-key-file "${dir}/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true \
    --profiling=false \
    "${extra_args[@]+"${extra_args[@]}"}"
  rc=0
  wait_http kube-apiserver "https://127.0.0.1:${api_port}/readyz" "${START_TIMEOUT}" \
    "$(cat "${dir}/kube-apiserver.pid")" -k -H "Authorization: Bearer ${admin_token}" || rc=$?
  if [[ ${rc} -ne 0 ]]; then
    log "last lines of ${dir}/kube-apiserver.log:"
    tail -n 40 "${dir}/kube-apiserver.log" >&2 || true
    if [[ ${rc} -eq 2 ]]; then die "kube-apiserver exited during startup"; fi
    die "kube-apiserver not ready after ${START_TIMEOUT}s"
  fi

  # The apiserver self-signs: pki/apiserver.crt is the serving cert followed by its CA.
  awk '/-----BEGIN CERTIFICATE-----/{n++; buf=""} {buf = buf $0 "\n"} /-----END CERTIFICATE-----/{last=buf} END{printf "%s", last}' \
    "${dir}/pki/apiserver.crt" >"${dir}/ca.crt"
  curl -fsS -o /dev/null --cacert "${dir}/ca.crt" -H "Authorization: Bearer ${admin_token}" \
    "https://127.0.0.1:${api_port}/readyz" || die "serving certificate does not verify against ${dir}/ca.crt"

  local server="https://127.0.0.1:${api_port}" with_cm=true
  [[ "${SIDECAR_KUBE_CONTROLLER_MANAGER:-true}" == false ]] && with_cm=false
  if [[ "${with_cm}" == true ]]; then
    start_controller_manager "${dir}" "${server}" "${cm_token}" "${cm_port}"
    wait_default_token "${dir}" "${server}" "${admin_token}"
  fi
  write_kubeconfig "${dir}" "${server}" "${dir}/kubeconfig" "${admin_token}" admin sidecar-test
  (
    umask 077
    cat >"${dir}/env.tmp" <<EOF
KUBECONFIG=${dir}/kubeconfig
SIDECAR_KUBE_SERVER=${server}
SIDECAR_KUBE_API_PORT=${api_port}
SIDECAR_KUBE_ETCD_PORT=${etcd_port}
SIDECAR_KUBE_ETCD_URL=http://127.0.0.1:${etcd_port}
SIDECAR_KUBE_CA_FILE=${dir}/ca.crt
SIDECAR_KUBE_ADMIN_TOKEN=${admin_token}
SIDECAR_KUBE_SA_USER=${SA_USER}
SIDECAR_KUBE_SA_TOKEN=${sa_token}
SIDECAR_KUBE_TOKEN_FILE=${dir}/tokens.csv
SIDECAR_KUBE_VERSION=v${KUBE_VERSION}
SIDECAR_KUBE_DIR=${dir}
SIDECAR_KUBE_CONTROLLER_MANAGER=${with_cm}
EOF
    mv -f "${dir}/env.tmp" "${dir}/env"
  )
  trap - EXIT
  log "ready in $((SECONDS - t0))s: ${server} (KUBECONFIG=${dir}/kubeconfig, env in ${dir}/env)"
}

# A kubeconfig for server $2 as user $5 (token $4), context $6, with DIR/ca.crt embedded, written to $3.
write_kubeconfig() { # dir server file token user context
  local dir="$1" server="$2" file="$3" token="$4" user="$5" context="$6"
  (
    umask 077
    cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sidecar-test
  cluster:
    server: ${server}
    certificate-authority-data: $(base64 -w0 <"${dir}/ca.crt")
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: ${context}
  context:
    cluster: sidecar-test
    user: ${user}
current-context: ${context}
EOF
  )
}

start_controller_manager() { # dir server token port
  local dir="$1" server="$2" token="$3" port="$4" rc=0
  write_kubeconfig "${dir}" "${server}" "${dir}/controller-manager.kubeconfig" "${token}" system:kube-controller-manager \
    kube-controller-manager
  mkdir -p "${dir}/controller-manager-pki"
  log "starting kube-controller-manager v${KUBE_VERSION} (controllers ${CONTROLLERS}; /healthz on 127.0.0.1:${port})"
  # Each controller acts as its own ServiceAccount (as kubeadm runs it), so RBAC is the real one.
  start_daemon "${dir}/kube-controller-manager.pid" "${dir}/kube-controller-manager.log" "${CONTROLLER_MANAGER_BIN}" \
    --kubeconfig "${dir}/controller-manager.kubeconfig" \
    --authentication-kubeconfig "${dir}/controller-manager.kubeconfig" \
    --authorization-kubeconfig "${dir}/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "${port}" \
    --port 0 \
    --cert-dir "${dir}/controller-manager-pki" \
    --controllers "${CONTROLLERS}" \
    --use-service-account-credentials=true \
    --service-account-private-key-file "${dir}/sa.key" \
    --root-ca-file "${dir}/ca.crt" \
    --leader-elect=false \
    --profiling=false
  wait_http kube-controller-manager "https://127.0.0.1:${port}/healthz" "${START_TIMEOUT}" \
    "$(cat "${dir}/kube-controller-manager.pid")" -k || rc=$?
  if [[ ${rc} -ne 0 ]]; then
    log "last lines of ${dir}/kube-controller-manager.log:"
    tail -n 40 "${dir}/kube-controller-manager.log" >&2 || true
    if [[ ${rc} -eq 2 ]]; then die "kube-controller-manager exited during startup"; fi
    die "kube-controller-manager not healthy after ${START_TIMEOUT}s"
  fi
}

# Waits until namespace default's ServiceAccount has its token: the controllers are then really working.
wait_default_token() { # dir server admin-token
  local dir="$1" server="$2" token="$3" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if curl -fsS --max-time 2 --cacert "${dir}/ca.crt" -H "Authorization: Bearer ${token}" \
      "${server}/api/v1/namespaces/default/serviceaccounts/default" 2>/dev/null | grep -q '"secrets"'; then
      return 0
    fi
    kill -0 "$(cat "${dir}/kube-controller-manager.pid")" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 40 "${dir}/kube-controller-manager.log" >&2 || true
  die "kube-controller-manager gave ServiceAccount default/default no token within ${START_TIMEOUT}s"
}

cmd_stop() {
  check_dir_arg "$@"
  local dir="$1"
  if [[ ! -d "${dir}" ]]; then
    log "nothing to stop: ${dir} does not exist"
    return 0
  fi
  dir="$(cd "${dir}" && pwd -P)"
  cleanup_dir "${dir}"
  log "stopped ${dir}"
}

cmd_status() {
  check_dir_arg "$@"
  local dir="$1" ok=0 pid
  [[ -d "${dir}" ]] || { echo "not running (no ${dir})"; return 1; }
  dir="$(cd "${dir}" && pwd -P)"
  if pid="$(live_pid "${dir}/etcd.pid" "${dir}")"; then echo "etcd: running (pid ${pid})"; else echo "etcd: not running"; ok=1; fi
  if pid="$(live_pid "${dir}/kube-apiserver.pid" "${dir}")"; then echo "kube-apiserver: running (pid ${pid})"; else echo "kube-apiserver: not running"; ok=1; fi
  if grep -qx 'SIDECAR_KUBE_CONTROLLER_MANAGER=true' "${dir}/env" 2>/dev/null; then
    if pid="$(live_pid "${dir}/kube-controller-manager.pid" "${dir}")"; then echo "kube-controller-manager: running (pid ${pid})"; else echo "kube-controller-manager: not running"; ok=1; fi
  fi
  if [[ ${ok} -eq 0 && -f "${dir}/env" ]]; then
    local server token
    server="$(sed -n 's/^SIDECAR_KUBE_SERVER=//p' "${dir}/env")"
    token="$(sed -n 's/^SIDECAR_KUBE_ADMIN_TOKEN=//p' "${dir}/env")"
    if curl -fsS -o /dev/null --max-time 5 --cacert "${dir}/ca.crt" -H "Authorization: Bearer ${token}" "${server}/readyz"; then
      echo "ready: ${server}"
    else
      echo "not ready: ${server}"
      ok=1
    fi
  else
    ok=1
  fi
  return "${ok}"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "${cmd}" in
    build) cmd_build ;;
    path)
      cmd_build
      echo "${APISERVER_BIN}"
      ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
