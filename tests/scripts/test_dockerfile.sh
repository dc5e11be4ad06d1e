#!/usr/bin/env bash
# Checks the Dockerfile against the built binary, without a Docker engine:
#  * the runtime stage's `apt-get install` names exactly the Debian packages
#    that own the shared libraries the binary links (its ELF NEEDED entries,
#    resolved by ldd and mapped with dpkg -S), minus libc6, which every Debian
#    image has;
#  * every library ldd loads, direct or indirect, comes from a listed package,
#    libc6, or a package those depend on, so apt-get pulls it in;
#  * the builder installs the build group of scripts/install-deps.sh and builds
#    a Release without tests; two stages, both debian:12-slim; a numeric
#    non-root USER; no ADD of URLs; the entrypoint, command and ports the
#    manifests rely on.
# Environment: KW_SOURCE_DIR (repository), KW_BINARY (built kopia-webhook),
# KW_DOCKERFILE (optional, another Dockerfile to check).
# Exit 0 pass, 1 fail, 77 skipped (missing tools, or a binary the image would
# not contain: a sanitizer build, or one that links nothing beyond libc).
set -uo pipefail

src=${KW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dockerfile=${KW_DOCKERFILE:-$src/Dockerfile}
binary=${KW_BINARY:-}
base_packages=(libc6) # in every Debian image: libc, libm, ld-linux, libpthread...

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
skip() {
    echo "SKIP: $*" >&2
    exit 77
}

for tool in ldd readelf dpkg dpkg-query; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -f "$dockerfile" ] || { echo "FAIL: no Dockerfile at $dockerfile" >&2; exit 1; }
[ -n "$binary" ] || skip "KW_BINARY is not set (run through ctest)"
[ -x "$binary" ] || { echo "FAIL: KW_BINARY $binary is not an executable" >&2; exit 1; }

# --- Dockerfile parsing -----------------------------------------------------

# The Dockerfile as logical lines (continuations joined, comments dropped),
# each prefixed with its stage number (1 = first FROM).
logical_lines() {
    awk '
        /^[[:space:]]*#/ { next }
        {
            line = $0
            if (sub(/\\[[:space:]]*$/, "", line)) { buf = buf line " "; next }
            buf = buf line
            if (buf ~ /^[[:space:]]*$/) { buf = ""; next }
            if (toupper(buf) ~ /^[[:space:]]*FROM[[:space:]]/) stage++
            print stage "\t" buf
            buf = ""
        }' "$dockerfile"
}

# Instructions of one stage whose keyword is $2 (e.g. RUN), without the stage.
stage_instructions() {
    logical_lines | awk -F'\t' -v s="$1" -v k="$2" '
        $1 == s { i = $2; sub(/^[[:space:]]+/, "", i)
                  split(i, w, /[[:space:]]+/)
                  if (toupper(w[1]) == k) print i }'
}

# Package names of the `apt-get install` commands in stage $1, sorted.
apt_installed_packages() {
    stage_instructions "$1" RUN | awk '
        {
            n = split($0, w, /[[:space:]]+/)
            for (i = 1; i <= n; i++) {
                if (w[i] == "apt-get" && w[i + 1] == "install") {
                    for (j = i + 2; j <= n; j++) {
                        if (w[j] == "&&" || w[j] == ";" || w[j] == "||") break
                        if (w[j] != "" && w[j] !~ /^-/) print w[j]
                    }
                }
            }
        }' | sort -u
}

# --- Libraries and packages -------------------------------------------------

# "name path" for each library ldd resolves; "name not-found" for the rest.
ldd_map() {
    LC_ALL=C ldd "$1" | awk '
        $2 == "=>" && $3 == "not" { print $1, "not-found"; next }
        $2 == "=>" && $3 ~ /^\// { print $1, $3; next }
        $1 ~ /^\// { n = $1; sub(/.*\//, "", n); print n, $1 }'
}

# The spellings under which dpkg may know a library file: the path, its
# merged-/usr twin, the symlink target and its twin (dpkg knows each file
# under one spelling only).
candidates_of() {
    local path=$1 real
    echo "$path"
    case $path in
    /usr/*) echo "${path#/usr}" ;;
    *) echo "/usr$path" ;;
    esac
    real=$(readlink -f "$path")
    echo "$real"
    case $real in
    /usr/*) echo "${real#/usr}" ;;
    *) echo "/usr$real" ;;
    esac
}

# owner[file] = the Debian package owning it, for the files given as
# arguments that some package owns; one dpkg -S for all (each run reads the
# whole file database).
declare -A owner=()
load_owners() {
    local line pkgs file
    while IFS= read -r line; do
        case $line in diversion*) continue ;; esac
        pkgs=${line%%: *}
        file=${line#*: }
        [ -n "${owner[$file]:-}" ] || owner[$file]=${pkgs%%:*}
    done < <(LC_ALL=C dpkg -S "$@" 2>/dev/null)
}

# The Debian package owning a library file (load_owners must have seen it).
package_of() {
    local c
    while read -r c; do
        if [ -n "${owner[$c]:-}" ]; then
            echo "${owner[$c]}"
            return 0
        fi
    done < <(candidates_of "$1")
    return 1
}

# Installed packages that the packages given as arguments depend on,
# recursively (Depends and Pre-Depends; of alternatives, the installed ones).
dependency_closure() {
    local -A seen=()
    local queue=("$@") p deps d
    while [ ${#queue[@]} -gt 0 ]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        [ -n "${seen[$p]:-}" ] && continue
        seen[$p]=1
        deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null) || continue
        for d in $(echo "$deps" | sed 's/[,|]/\n/g' | sed -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g'); do
            [ -n "$d" ] || continue
            if dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'install ok installed'; then
                queue+=("$d")
            fi
        done
    done
    printf '%s\n' "${!seen[@]}" | sort
}

# --- Structure of the Dockerfile --------------------------------------------

mapfile -t froms < <(logical_lines | awk -F'\t' '{ i = $2; sub(/^[[:space:]]+/, "", i)
    split(i, w, /[[:space:]]+/); if (toupper(w[1]) == "FROM") print i }')
if [ ${#froms[@]} -ne 2 ]; then
    fail "expected two stages (two FROM lines), found ${#froms[@]}"
else
    for f in "${froms[@]}"; do
        read -r _ image _ <<<"$f"
        [ "$image" = "debian:12-slim" ] || fail "stage '$f' is not based on debian:12-slim"
    done
fi
runtime=${#froms[@]}

if logical_lines | awk -F'\t' '{ i = toupper($2); sub(/^[[:space:]]+/, "", i); print i }' |
    grep -Eq '^ADD[[:space:]].*(HTTPS?|FTP)://'; then
    fail "ADD fetches a URL (use a pinned, checksummed download in a RUN instead)"
fi

mapfile -t users < <(stage_instructions "$runtime" USER)
if [ ${#users[@]} -eq 0 ]; then
    fail "the runtime stage sets no USER (it would run as root)"
else
    user=${users[-1]#* }
    user=${user// /}
    if ! [[ $user =~ ^([0-9]+)(:([0-9]+))?$ ]]; then
        fail "USER '$user' is not numeric (runAsNonRoot needs a numeric uid)"
    elif [ "${BASH_REMATCH[1]}" -eq 0 ] || [ "${BASH_REMATCH[3]:-1}" = 0 ]; then
        fail "USER '$user' is root"
    elif [ "${BASH_REMATCH[1]}" != 65532 ]; then
        fail "USER '$user' differs from the manifests' runAsUser 65532"
    fi
fi

entry=$(stage_instructions "$runtime" ENTRYPOINT | tail -n1)
[ "$entry" = 'ENTRYPOINT ["/usr/local/bin/kopia-webhook"]' ] ||
    fail "runtime ENTRYPOINT is '$entry', expected [\"/usr/local/bin/kopia-webhook\"]"
cmd=$(stage_instructions "$runtime" CMD | tail -n1)
for want in '"serve"' '"--listen", "0.0.0.0:8443"' '"--health-listen", "0.0.0.0:8080"' \
    '"--tls-cert", "/etc/kopia-webhook/tls/tls.crt"' '"--tls-key", "/etc/kopia-webhook/tls/tls.key"' \
    '"--config", "/etc/kopia-webhook/config.yaml"'; do
    [[ $cmd == CMD\ \[*"$want"*\] ]] || fail "runtime CMD lacks $want: $cmd"
done
exposed=$(stage_instructions "$runtime" EXPOSE | cut -d' ' -f2- | tr ' ' '\n' | sed 's#/tcp##' | sort -u | xargs)
[ "$exposed" = "8080 8443" ] || fail "runtime EXPOSE is '$exposed', expected 8443 and 8080"
stage_instructions "$runtime" COPY | grep -q -- '--from=.* /usr/local/bin/kopia-webhook$' ||
    fail "the runtime stage does not copy the binary from the builder to /usr/local/bin/kopia-webhook"
# Files the runtime stage takes from the builder's copy of the sources.
while read -r _ _ from_src _; do
    [ -e "$src/${from_src#/src/}" ] || fail "the runtime stage copies $from_src, which is not in the repository"
done < <(stage_instructions "$runtime" COPY | grep -E -- '--from=[^ ]+ /src/')
stage_instructions "$runtime" RUN | grep 'apt-get install' | grep -q -- '--no-install-recommends' ||
    fail "the runtime apt-get install lacks --no-install-recommends"

build_cmd=$(stage_instructions 1 RUN | grep 'cmake -S')
[[ $build_cmd == *-DKW_TESTS=OFF* && $build_cmd == *-DCMAKE_BUILD_TYPE=Release* ]] ||
    fail "the builder does not configure with -DKW_TESTS=OFF -DCMAKE_BUILD_TYPE=Release"
if [ -f "$src/scripts/install-deps.sh" ]; then
    want_build=$(sed -n 's/^ *\[build\]="\(.*\)"$/\1/p' "$src/scripts/install-deps.sh" | tr ' ' '\n' | sort -u | xargs)
    have_build=$(apt_installed_packages 1 | xargs)
    [ "$want_build" = "$have_build" ] ||
        fail "builder installs '$have_build', scripts/install-deps.sh build group is '$want_build'"
fi

# --- Runtime packages against the binary ------------------------------------

mapfile -t needed < <(LC_ALL=C readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ ${#needed[@]} -gt 0 ] || skip "$binary has no dynamic dependencies (static build?)"
for lib in "${needed[@]}"; do
    case $lib in
    libasan.so* | libubsan.so* | libtsan.so* | liblsan.so*)
        skip "$binary is a sanitizer build ($lib); the image is built without sanitizers"
        ;;
    esac
done

declare -A path_of=()
while read -r name path; do
    path_of[$name]=$path
done < <(ldd_map "$binary")
mapfile -t all_candidates < <(for path in "${path_of[@]}"; do
    [ "$path" = not-found ] || candidates_of "$path"
done | sort -u)
[ ${#all_candidates[@]} -eq 0 ] || load_owners "${all_candidates[@]}"

is_base() {
    local b
    for b in "${base_packages[@]}"; do [ "$1" = "$b" ] && return 0; done
    return 1
}

declare -A required=()
for lib in "${needed[@]}"; do
    path=${path_of[$lib]:-not-found}
    if [ "$path" = not-found ]; then
        fail "$lib (linked by the binary) is not found by ldd"
        continue
    fi
    if ! pkg=$(package_of "$path"); then
        fail "$lib ($path) belongs to no Debian package: the image could not install it"
        continue
    fi
    is_base "$pkg" || required[$pkg]=1
done
want_runtime=$(printf '%s\n' "${!required[@]}" | sed '/^$/d' | sort -u | xargs)
have_runtime=$(apt_installed_packages "$runtime" | xargs)

if [ -z "$want_runtime" ]; then
    skip "$binary links nothing beyond ${base_packages[*]} (an early skeleton build); nothing to compare with '$have_runtime'"
fi
if [ "$want_runtime" != "$have_runtime" ]; then
    missing=$(comm -23 <(tr ' ' '\n' <<<"$want_runtime") <(tr ' ' '\n' <<<"$have_runtime") | xargs)
    extra=$(comm -13 <(tr ' ' '\n' <<<"$want_runtime") <(tr ' ' '\n' <<<"$have_runtime") | xargs)
    fail "runtime stage installs '$have_runtime' but the binary links '$want_runtime'${missing:+ (missing: $missing)}${extra:+ (not linked: $extra)}"
fi

# Indirect libraries: apt-get pulls in the listed packages' dependencies, so
# each library ldd loads must come from that closure (or the base image).
# shellcheck disable=SC2086
closure=" $(dependency_closure "${base_packages[@]}" $have_runtime | xargs) "
for name in "${!path_of[@]}"; do
    path=${path_of[$name]}
    case $name in linux-vdso.so.* | linux-gate.so.*) continue ;; esac
    if [ "$path" = not-found ]; then
        fail "$name (loaded indirectly) is not found by ldd"
        continue
    fi
    pkg=$(package_of "$path") || { fail "$name ($path) belongs to no Debian package"; continue; }
    [[ $closure == *" $pkg "* ]] ||
        fail "$name comes from $pkg, which the runtime packages do not pull in"
done

if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed for $dockerfile" >&2
    exit 1
fi
echo "ok: runtime stage installs exactly: $have_runtime (${#path_of[@]} libraries loaded)"
