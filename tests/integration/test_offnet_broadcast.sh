#!/usr/bin/env bash
# Integration test of the off-network media-session creation message (issue 6;
# R-002-20: the caller broadcasts its SDP offer - with the MIKEY-PSK GSK
# message - no answers, best effort; R-002-23: members take it; frame and
# sockets in docs/controller.md), with real processes and sockets:
#   UDP multicast on the loopback interface (239/8, TTL 0, IP_MULTICAST_LOOP):
#   three listeners each get both messages, octet for octet, and recognise the
#   repeats; the sender waits for nothing and nobody answers;
#   the fallbacks: UDP broadcast (127.255.255.255) and unicast; hostile
#   datagrams are dropped with their reason and the listener goes on;
#   across two network namespaces joined by a veth pair (TTL 1) when the test
#   may create them (root), else that case is skipped and says so.
# Usage: bash test_offnet_broadcast.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT` (see scripts/loopback.sh users).
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init bcast-it "$@"
NETNS=()
SKIP=0
skip() { echo "skip $1: $2"; SKIP=$((SKIP + 1)); }
lb_on_exit() { local n; for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done; }

# listen_bg NAME [ip netns exec NS] ARGS... : sets LPID; waits for "listening".
listen_bg() {
    local name=$1
    shift
    local pre=()
    if [ "${1:-}" = ip ]; then
        pre=(ip netns exec "$4")
        shift 4
    fi
    "${pre[@]}" "$MCGK" sip broadcast-listen --offer-dir "$T/$name.offers" "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    LPID=$!
    PIDS+=("$LPID")
    lb_wait_line "$T/$name.out" '^listening' || die "listener $name did not start: $(cat "$T/$name.err")"
}

cat >"$T/a.sdp" <<'EOF'
v=0
o=alice 1 1 IN IP4 127.0.0.1
s=off-network group call
c=IN IP4 239.255.10.10/1
t=0 0
a=key-mgmt:mikey AQQFgAAfSrZ6AAAAAAAAAAAAAAAKAhMCf5ESOf5qDx8g5KbEiTIa3zaSzPQ9aQ0AAQECAAAACQsAAAAAOA==
m=audio 49170 RTP/SAVP 0
EOF
sed 's/49170/49180/; s/AAOA==/AAOB==/' "$T/a.sdp" >"$T/b.sdp"
GROUP=239.255.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
PORT=$(lb_free_udp_port) || die "no free port"

# ---- 1. R-002-20 / R-002-23: multicast on loopback, three members, two messages ------------
name=multicast_loopback_R-002-20
L=()
for i in 1 2 3; do
    listen_bg "m$i" --group "$GROUP:$PORT" --interface 127.0.0.1 --count 2 --timeout-s 15
    L+=("$LPID")
done
t0=$(date +%s%N)
"$MCGK" sip broadcast-send --group "$GROUP:$PORT" --interface 127.0.0.1 --ttl 0 --repeat 3 \
    --interval-ms 20 --sdp-file "$T/a.sdp" --from sip:alice@example.org \
    --group-uri sip:group1@example.org >"$T/send_a.out" 2>&1
rc_a=$?
t1=$(date +%s%N)
"$MCGK" sip broadcast-send --group "$GROUP:$PORT" --interface 127.0.0.1 --ttl 0 --repeat 2 \
    --interval-ms 20 --sdp-file "$T/b.sdp" --from sip:alice@example.org \
    --group-uri sip:group1@example.org >"$T/send_b.out" 2>&1
rc_b=$?
why=""
[ "$rc_a $rc_b" = "0 0" ] || why="$why senders=$rc_a,$rc_b"
# the sender waits for no answer: three repeats 20 ms apart take well under a second
[ $(((t1 - t0) / 1000000)) -lt 1000 ] || why="$why sender-waited-$(((t1 - t0) / 1000000))ms"
[ "$(grep -c '^sent session=' "$T/send_a.out")" -eq 3 ] || why="$why sent-a"
for i in 1 2 3; do
    lb_wait_pid "${L[$((i - 1))]}" 10
    r=$?
    [ $r -eq 0 ] || why="$why m$i-exit=$r"
    x=$(cat "$T/m$i.out")
    [ "$(grep -c '^media-session from="sip:alice@example.org" group="sip:group1@example.org" .* key_mgmt=yes' <<<"$x")" -eq 2 ] ||
        why="$why m$i-sessions"
    [ "$(grep -c '^duplicate session=' <<<"$x")" -ge 2 ] || why="$why m$i-no-duplicates"
    cmp -s "$T/a.sdp" "$T/m$i.offers/offer-1.sdp" || why="$why m$i-offer-a"
    cmp -s "$T/b.sdp" "$T/m$i.offers/offer-2.sdp" || why="$why m$i-offer-b"
    grep -q '^sent' <<<"$x" && why="$why m$i-sent-something"
done
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why; $(cat "$T/m1.out" "$T/m1.err")"; fi

# ---- 2. the broadcast fallback, and hostile datagrams ---------------------------------------
name=broadcast_fallback_and_hostile
PORT2=$(lb_free_udp_port) || die "no free port"
listen_bg fb --group "127.255.255.255:$PORT2" --count 1 --timeout-s 15
P=$LPID
printf 'XXXXnot a frame' >"/dev/udp/127.0.0.1/$PORT2"
printf 'MCGB\002\001\000\000' >"/dev/udp/127.0.0.1/$PORT2"
printf 'MCGB' >"/dev/udp/127.0.0.1/$PORT2"
lb_wait_line "$T/fb.out" 'reason=truncated'
"$MCGK" sip broadcast-send --group "127.255.255.255:$PORT2" --repeat 1 --sdp-file "$T/a.sdp" \
    --from sip:alice@example.org --group-uri sip:group1@example.org >"$T/send_fb.out" 2>&1
rc_s=$?
lb_wait_pid "$P" 10
rc_l=$?
x=$(cat "$T/fb.out")
why=""
[ "$rc_s $rc_l" = "0 0" ] || why="$why exits=$rc_s,$rc_l"
grep -q 'dropped from=127.0.0.1:[0-9]* reason=bcast-magic' <<<"$x" || why="$why magic"
grep -q 'reason=unsupported' <<<"$x" || why="$why version"
grep -q 'reason=truncated' <<<"$x" || why="$why truncated"
grep -q '^media-session .*key_mgmt=yes' <<<"$x" || why="$why no-session"
cmp -s "$T/a.sdp" "$T/fb.offers/offer-1.sdp" || why="$why offer"
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why; $x"; fi

# ---- 3. unicast (N sends where neither multicast nor broadcast is available) -----------------
name=unicast_fallback
PORT3=$(lb_free_udp_port) || die "no free port"
listen_bg uc --group "127.0.0.1:$PORT3" --count 1 --timeout-s 15
P=$LPID
"$MCGK" sip broadcast-send --group "127.0.0.1:$PORT3" --repeat 2 --interval-ms 10 \
    --sdp-file "$T/b.sdp" --from sip:alice@example.org --group-uri sip:group1@example.org \
    >"$T/send_uc.out" 2>&1
lb_wait_pid "$P" 10
if [ $? -eq 0 ] && cmp -s "$T/b.sdp" "$T/uc.offers/offer-1.sdp"; then ok "$name"; else bad "$name" "$(cat "$T/uc.out")"; fi

# ---- 4. no message: the listener gives up --------------------------------------------------
name=listener_timeout
"$MCGK" sip broadcast-listen --group "$GROUP:$(lb_free_udp_port)" --interface 127.0.0.1 --count 1 \
    --timeout-s 1 >"$T/to.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'error: sip-timeout' "$T/to.out"; then ok "$name"; else bad "$name" "rc=$rc"; fi

# ---- 5. across two network namespaces (veth, TTL 1) ---------------------------------------
name=multicast_across_netns
N1=mcgkb1$$
N2=mcgkb2$$
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! ip netns add "$N1" 2>/dev/null; then
    skip "$name" "cannot create network namespaces here (needs root and ip netns)"
else
    NETNS+=("$N1")
    ip netns add "$N2" && NETNS+=("$N2")
    V1=vb1$$
    V2=vb2$$
    if ip link add "$V1" netns "$N1" type veth peer name "$V2" netns "$N2" 2>/dev/null &&
        ip -n "$N1" addr add 10.250.0.1/24 dev "$V1" && ip -n "$N2" addr add 10.250.0.2/24 dev "$V2" &&
        ip -n "$N1" link set "$V1" up && ip -n "$N2" link set "$V2" up &&
        ip -n "$N1" link set lo up && ip -n "$N2" link set lo up; then
        listen_bg ns ip netns exec "$N2" --group "$GROUP:$PORT" --interface 10.250.0.2 --count 1 \
            --timeout-s 15
        P=$LPID
        ip netns exec "$N1" "$MCGK" sip broadcast-send --group "$GROUP:$PORT" --interface 10.250.0.1 \
            --ttl 1 --repeat 3 --interval-ms 50 --sdp-file "$T/a.sdp" --from sip:alice@example.org \
            --group-uri sip:group1@example.org >"$T/send_ns.out" 2>&1
        lb_wait_pid "$P" 10
        rc=$?
        if [ $rc -eq 0 ] && cmp -s "$T/a.sdp" "$T/ns.offers/offer-1.sdp"; then
            ok "$name"
        else
            bad "$name" "rc=$rc; $(cat "$T/ns.out" "$T/ns.err" "$T/send_ns.out")"
        fi
    else
        skip "$name" "cannot create a veth pair here"
    fi
fi

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ $FAIL -eq 0 ]
