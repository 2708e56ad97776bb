#!/usr/bin/env bash
# build-image.sh - builds the controller's image from the Dockerfile with podman, on Debian base images made here.
#
# Usage:
#   build-image.sh build [TAG]       build TAG (default sidecar-initializer:<pom version>); write target/image/image.env
#   build-image.sh podman ARGS...    podman with the global flags this machine needs (runtime, cgroup manager)
#   build-image.sh run ARGS...       `podman run` with those flags and ulimits this machine allows
#
# Exit status 3 means "cannot build images here" (podman, runc or mmdebstrap missing and not installable, or not
# root and no passwordless sudo): the last line on stderr says why. Any other non-zero status is a failure.
#
# What `build` does (root or passwordless sudo for apt-get and podman):
#   * apt-get installs podman, runc and mmdebstrap if any is missing (after one apt-get update);
#   * makes two base images from Debian packages with mmdebstrap, once: a build base (JDK 17 + Maven) and a
#     runtime base (JRE 17). Each tar is cached in ${SIDECAR_IMAGE_CACHE:-~/.cache/sidecar-initializer/images}
#     under a key hashed from everything that goes into it (suite, mirrors, packages, options, BASE_RECIPE), and
#     `podman import`ed as localhost/sidecar-initializer-base-{build,runtime}:KEY. An flock serialises callers.
#     Nothing is pulled from a container registry.
#   * `podman build`s the Dockerfile with those bases as BUILD_IMAGE and RUNTIME_IMAGE, with host networking and
#     the host's trust store (a Debian base's own does not verify this machine's TLS), the host's Maven repository
#     mounted read-only as a repository tried before Maven Central (so the build downloads only what it lacks);
#   * writes target/image/image.env (KEY=VALUE lines, no quoting): IMAGE, IMAGE_ID, IMAGE_SIZE_BYTES,
#     BUILD_SECONDS, BASE_SECONDS, BUILD_BASE, RUNTIME_BASE; prints the size and the build time.
# Environment: SIDECAR_IMAGE_SUITE (bookworm), SIDECAR_IMAGE_MIRROR (http://deb.debian.org/debian),
#   SIDECAR_IMAGE_SECURITY_MIRROR (http://deb.debian.org/debian-security), SIDECAR_IMAGE_CACHE.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) fails the caller too

# Bump when how a base is made changes in a way its key does not capture: every cached base is then rebuilt.
readonly BASE_RECIPE="base-r2"
readonly SUITE="${SIDECAR_IMAGE_SUITE:-bookworm}"
readonly MIRROR="${SIDECAR_IMAGE_MIRROR:-http://deb.debian.org/debian}"
readonly SECURITY_MIRROR="${SIDECAR_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
readonly BUILD_PACKAGES="openjdk-17-jdk-headless maven"
readonly RUNTIME_PACKAGES="openjdk-17-jre-headless"
# Docs and translations are dead weight in an image (not man pages: the JRE's postinst links its man page into
# man1). mmdebstrap's merged-usr hook makes the merged /usr itself; without it, bookworm pulls in the usrmerge
# package and 45 MB of Perl.
readonly -a MMDEBSTRAP_OPTIONS=(--variant=minbase --format=tar --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  "--dpkgopt=path-exclude=/usr/share/doc/*" "--dpkgopt=path-exclude=/usr/share/info/*"
  "--dpkgopt=path-exclude=/usr/share/locale/*")
# crun (podman's default) refuses this machine's hybrid cgroups; podman's default ulimits exceed the hard limits.
readonly -a PODMAN_GLOBAL=(--runtime runc --cgroup-manager=cgroupfs)
readonly -a ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
readonly PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)"
CACHE="${SIDECAR_IMAGE_CACHE:-${HOME:-/root}/.cache/sidecar-initializer/images}"
OUT="${ROOT}/target/image"

log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
unavailable() { printf 'cannot build images here (needs podman, runc and mmdebstrap, run as root): %s\n' "$*" >&2; exit 3; }

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Prints the command prefix that runs $1 as root ("" when we are root), or fails.
root_prefix() {
  if [[ "$(id -u)" -eq 0 ]]; then
    echo ""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "sudo -n"
  else
    return 1
  fi
}

as_root() {
  local prefix
  prefix="$(root_prefix)" || unavailable "not root and no passwordless sudo to run: $*"
  # shellcheck disable=SC2086 # the prefix is empty or two words
  ${prefix} "$@"
}

ensure_tools() {
  local missing=() tool
  for tool in podman runc mmdebstrap; do
    command -v "${tool}" >/dev/null 2>&1 || missing+=("${tool}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  command -v apt-get >/dev/null 2>&1 || unavailable "${missing[*]} missing and no apt-get to install them"
  root_prefix >/dev/null || unavailable "${missing[*]} missing; not root and no passwordless sudo for apt-get"
  log "installing apt packages: ${missing[*]}"
  if ! as_root apt-get update -qq >&2 \
    || ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2; then
    unavailable "apt-get install ${missing[*]} failed"
  fi
  for tool in "${missing[@]}"; do
    command -v "${tool}" >/dev/null 2>&1 || unavailable "${tool} still missing after apt-get install"
  done
}

podman_cmd() { as_root podman "${PODMAN_GLOBAL[@]}" "$@"; }

# The key of a base image: a hash of everything that decides its content.
base_key() { # name packages
  printf '%s\n' "${BASE_RECIPE}" "$1" "${SUITE}" "${MIRROR}" "${SECURITY_MIRROR}" "$2" "${MMDEBSTRAP_OPTIONS[@]}" \
    | sha256sum | cut -c1-16
}

# Makes (or finds) base image $1 with packages $2; prints its reference.
ensure_base() {
  local name="$1" packages="$2" key ref tar
  key="$(base_key "${name}" "${packages}")"
  ref="localhost/sidecar-initializer-base-${name}:${key}"
  tar="${CACHE}/${name}-${key}.tar"
  if podman_cmd image exists "${ref}"; then
    log "base ${name}: ${ref} (cached)"
    echo "${ref}"
    return 0
  fi
  mkdir -p "${CACHE}"
  (
    exec 9>"${CACHE}/build.lock"
    flock 9
    if [[ ! -s "${tar}" ]]; then
      log "base ${name}: mmdebstrap ${SUITE} with ${packages} (minutes)"
      local t0=${SECONDS} tmp="${tar}.tmp.$$"
      trap 'rm -f "${tmp}"' EXIT
      trap 'exit 1' INT TERM
      as_root mmdebstrap "${MMDEBSTRAP_OPTIONS[@]}" --include="${packages// /,}" "${SUITE}" "${tmp}" \
        "deb ${MIRROR} ${SUITE} main" "deb ${MIRROR} ${SUITE}-updates main" \
        "deb ${SECURITY_MIRROR} ${SUITE}-security main" >"${CACHE}/${name}-${key}.log" 2>&1 9>&- \
        || { tail -n 30 "${CACHE}/${name}-${key}.log" >&2; die "mmdebstrap failed for base ${name}"; }
      mv -f "${tmp}" "${tar}" # complete tars only
      trap - EXIT
      # Another key's tar of this base is stale: its recipe or packages changed.
      find "${CACHE}" -maxdepth 1 -name "${name}-*" ! -name "${name}-${key}.*" -delete
      log "base ${name}: made $(du -m "${tar}" | cut -f1) MB in $((SECONDS - t0)) s"
    fi
    if ! podman_cmd image exists "${ref}"; then
      log "base ${name}: podman import ${tar}"
      podman_cmd import -q --change "ENV ${PATH_ENV}" "${tar}" "${ref}" >/dev/null 9>&-
    fi
  ) || exit 1
  echo "${ref}"
}

pom_version() {
  sed -n '/<\/modelVersion>/,$p' "${ROOT}/pom.xml" | sed -n 's:^  <version>\([^<]*\)</version>.*:\1:p' | head -n1
}

# A settings.xml that puts the host's Maven repository (mounted at /opt/host-m2) before Maven Central.
write_maven_settings() {
  cat >"$1" <<'EOF'
<settings>
  <profiles>
    <profile>
      <id>host-repository</id>
      <repositories>
        <repository><id>host</id><url>file:///opt/host-m2</url></repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>host</id><url>file:///opt/host-m2</url></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>host-repository</activeProfile></activeProfiles>
</settings>
EOF
}

cmd_build() {
  local tag="${1:-}"
  if [[ -z "${tag}" ]]; then
    local version
    version="$(pom_version)"
    [[ -n "${version}" ]] || die "cannot read the project version from ${ROOT}/pom.xml"
    tag="sidecar-initializer:${version}"
  fi
  # No registry part: podman stores a bare name under localhost/, and that is what image.env names.
  [[ "${tag}" =~ ^[a-z0-9][a-z0-9._-]*:[A-Za-z0-9_][A-Za-z0-9._-]*$ ]] || die "'${tag}' is not an image NAME:TAG (no registry)"
  ensure_tools
  local t0=${SECONDS} build_base runtime_base
  build_base="$(ensure_base build "${BUILD_PACKAGES}")"
  runtime_base="$(ensure_base runtime "${RUNTIME_PACKAGES}")"
  local base_seconds=$((SECONDS - t0))

  mkdir -p "${OUT}"
  local -a maven=()
  local host_repo="${HOME:-/root}/.m2/repository"
  if [[ -d "${host_repo}" ]]; then
    write_maven_settings "${OUT}/maven-settings.xml"
    maven=(-v "${host_repo}:/opt/host-m2:ro" -v "${OUT}/maven-settings.xml:/opt/host-maven-settings.xml:ro"
      --build-arg "MAVEN_BUILD_ARGS=-s /opt/host-maven-settings.xml")
  fi
  log "podman build -t ${tag} (FROM ${build_base}, ${runtime_base})"
  local t1=${SECONDS}
  podman_cmd build --network=host "${ULIMITS[@]}" -v /etc/ssl/certs:/etc/ssl/certs:ro "${maven[@]}" \
    --build-arg "BUILD_IMAGE=${build_base}" --build-arg "RUNTIME_IMAGE=${runtime_base}" \
    -t "${tag}" -f "${ROOT}/Dockerfile" "${ROOT}" >"${OUT}/build.log" 2>&1 \
    || { tail -n 40 "${OUT}/build.log" >&2; die "podman build failed; whole log in ${OUT}/build.log"; }
  local build_seconds=$((SECONDS - t1)) id size
  id="$(podman_cmd image inspect --format '{{.Id}}' "${tag}")"
  size="$(podman_cmd image inspect --format '{{.Size}}' "${tag}")"
  cat >"${OUT}/image.env.tmp" <<EOF
IMAGE=localhost/${tag}
IMAGE_ID=${id}
IMAGE_SIZE_BYTES=${size}
BUILD_SECONDS=${build_seconds}
BASE_SECONDS=${base_seconds}
BUILD_BASE=${build_base}
RUNTIME_BASE=${runtime_base}
EOF
  mv -f "${OUT}/image.env.tmp" "${OUT}/image.env"
  log "built localhost/${tag}: $((size / 1024 / 1024)) MiB; podman build ${build_seconds} s, base images ${base_seconds} s"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "${cmd}" in
    build) [[ $# -le 1 ]] || usage; cmd_build "$@" ;;
    podman) ensure_tools; podman_cmd "$@" ;;
    run) ensure_tools; podman_cmd run "${ULIMITS[@]}" "$@" ;;
    *) usage ;;
  esac
}

main "$@"
