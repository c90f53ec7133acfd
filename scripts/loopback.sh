# shellcheck shell=bash
# Sourced by the integration tests (tests/integration/), the demo (scripts/demo)
# and the GMS bench (bench/gms_rekey.sh): the steps every one of them repeats to
# run mcgk's daemons on loopback.
#
#   . "$(dirname "$0")/../../scripts/loopback.sh"
#   lb_init NAME path/to/mcgk
#
# lb_init sets MCGK (absolute path), T (a scratch directory, removed at exit
# unless KEEP=1), PIDS (append every daemon started: PIDS+=($!); all are
# stopped at exit), PASS and FAIL, and clears the environment variables that
# would change what the daemons do. ok NAME / bad NAME WHY count checks; die WHY
# stops the script.

lb_init() {
    MCGK=$(readlink -f "${2:?usage: $0 path/to/mcgk}")
    [ -x "$MCGK" ] || { echo "FATAL: $MCGK is not an executable"; exit 1; }
    T=$(mktemp -d "/tmp/mcgk-$1.XXXXXX")
    PIDS=()
    PASS=0
    FAIL=0
    trap lb_cleanup EXIT
    trap 'exit 130' INT TERM
    export MCGK_DATA_DIR=
    unset MCGK_PASSPHRASE MCGK_TEST_CRASH
}

# A script may define lb_on_exit (e.g. to delete network namespaces); it runs
# after the daemons are stopped.
lb_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if declare -F lb_on_exit >/dev/null; then lb_on_exit; fi
    if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

ok() { echo "ok   $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $1: $2"; FAIL=$((FAIL + 1)); }
die() { echo "FATAL: $*"; exit 1; }

# lb_file_ready FILE [SECONDS]: 0 once FILE is not empty (default 5 s), else 1.
lb_file_ready() {
    local i
    for i in $(seq 1 $((${2:-5} * 20))); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# lb_wait_file FILE WHAT [SECONDS]: until FILE is not empty (a daemon's port
# file; default 15 s), else die "WHAT did not start".
lb_wait_file() { lb_file_ready "$1" "${3:-15}" || die "$2 did not start"; }

# lb_wait_line FILE PATTERN: 0 once a line of FILE matches (at most ~5 s), else 1.
lb_wait_line() {
    local i
    for i in $(seq 1 100); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# lb_wait_pid PID SECONDS: PID's exit status, or 124 (after SIGKILL) when it
# runs longer.
lb_wait_pid() {
    local i
    for i in $(seq 1 $(($2 * 20))); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1"
            return $?
        fi
        sleep 0.05
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 124
}

# lb_free_udp_port: a UDP port nobody listens on (for peers such as sipp that
# cannot bind port 0 and report it).
lb_free_udp_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! grep -q . <<<"$(ss -Hlun "( sport = :$p )" 2>/dev/null)"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# lb_wait_udp_bound PORT: 0 once something listens on UDP PORT (~5 s; without
# ss, a pause).
lb_wait_udp_bound() {
    local i
    if ! command -v ss >/dev/null; then
        sleep 0.5
        return 0
    fi
    for i in $(seq 1 100); do
        grep -q . <<<"$(ss -Hlun "( sport = :$1 )" 2>/dev/null)" && return 0
        sleep 0.05
    done
    return 1
}

# lb_tls_cert: $T/tls.key and $T/tls.crt, a P-256 certificate for 127.0.0.1
# (the KMS's and the GMS's HTTPS; clients trust it with --cacert $T/tls.crt).
lb_tls_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || die "openssl req"
    chmod 600 "$T/tls.key"
}

# lb_kms_init [KMS_URI] [PERIOD_S]: a KMS community in $T/kms
# (default kms.example.org, one-day key periods).
lb_kms_init() {
    "$MCGK" kms init --data-dir "$T/kms" --kms-uri "${1:-kms.example.org}" \
        --period "${2:-86400}" >/dev/null 2>"$T/kms-init.err" ||
        die "kms init: $(cat "$T/kms-init.err")"
}

# lb_kms_user URI TOKEN_FILE [ROLE]: a KMS user (role user or gms) and its token.
lb_kms_user() {
    "$MCGK" kms user add "$1" --role "${3:-user}" --data-dir "$T/kms" --token-out "$2" \
        >/dev/null 2>&1 || die "kms user add $1"
}

# lb_kms_serve: serves $T/kms over HTTPS on a free loopback port (log
# $T/kms.log); sets KMS_URL. Needs lb_tls_cert.
lb_kms_serve() {
    "$MCGK" kms serve --data-dir "$T/kms" --listen 127.0.0.1:0 --port-file "$T/kms.port" \
        --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" --threads 2 2>>"$T/kms.log" &
    PIDS+=($!)
    lb_wait_file "$T/kms.port" "kms serve"
    KMS_URL="https://127.0.0.1:$(cat "$T/kms.port")"
}

# lb_gms_init GMS_URI [gms init options]: a GMS in $T/gms provisioned from the
# KMS of lb_kms_serve with the token $T/gms.tok (lb_kms_user GMS_URI ... gms);
# its output in $T/gms-init.out.
lb_gms_init() {
    local uri=$1
    shift
    "$MCGK" gms init --data-dir "$T/gms" --gms-uri "$uri" --kms "$KMS_URL" --token "$T/gms.tok" \
        --cacert "$T/tls.crt" "$@" >"$T/gms-init.out" 2>"$T/gms-init.err" ||
        die "gms init: $(cat "$T/gms-init.err")"
}

# lb_multicast_media: MEDIA=239.255.X.Y:PORT, a multicast group and port of
# this run (parallel runs do not hear each other).
lb_multicast_media() {
    MEDIA="239.255.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)):$((20000 + RANDOM % 20000))"
}
