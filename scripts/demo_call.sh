# scripts/demo_call.sh - the group call of `make demo`: scripts/demo sources it at its end
# and runs `group_call`. It uses the demo's M (mcgk), T (work dir: clients in $T/c$i, the
# GMS in $T/gms), GA, user(), USERS, A_LAST (alpha = u1..u$A_LAST), REMOVED (removed from
# alpha in step 5: its client deleted the alpha GMKs) and PIDS (killed on exit).
#
#   8. alpha gets a GMK of its own: its current one is shared with bravo since step 6, so a
#      bravo-only user holds it - only a key of alpha alone shows who can decrypt;
#   9. two members talk at once on a multicast group on loopback, each under its own key
#      (R-003-37); every alpha member listens, and so do the removed member and a
#      bravo-only user;
#  10. off network: a member broadcasts a signed GSK message under the GMK and talks under
#      the GSK (R-002-19/23);
# then a table: what each listener decrypted / received per call beside what it should.
# group_call returns 1 on any mismatch.

GC_SECS=2 # seconds each caller talks (50 packets a second)

gc_ms() { date +%s%3N; }
gc_step() { GC_T0=$(gc_ms); printf '%-66s' "$*"; }
gc_done() {
    printf '%7.2f s  %s\n' "$(awk -v a="$GC_T0" -v b="$(gc_ms)" 'BEGIN{print (b-a)/1000}')" "$1"
}

# gc_listen PHASE i...: a listener per client in the background, each ready when it returns
gc_listen() {
    local phase=$1 j
    shift
    GC_PIDS=()
    for j in "$@"; do
        "$M" client listen "$GA" --identity "$(user "$j")" --data-dir "$T/c$j" \
            --media "$GC_MEDIA" --seconds 60 --idle-ms 1500 \
            >"$T/$phase-$j.out" 2>"$T/$phase-$j.err" &
        GC_PIDS+=($!)
        PIDS+=($!)
    done
    for j in "$@"; do
        for _ in $(seq 1 200); do
            grep -q 'event=listening' "$T/$phase-$j.err" 2>/dev/null && break
            sleep 0.05
        done
        grep -q 'event=listening' "$T/$phase-$j.err" ||
            { echo "listener u$j did not start: $(cat "$T/$phase-$j.err")"; return 1; }
    done
}

gc_wait_listeners() {
    local p
    for p in "${GC_PIDS[@]}"; do wait "$p"; done
}

# gc_call PHASE i [options]: client i talks for GC_SECS
gc_call() {
    local phase=$1 j=$2
    shift 2
    "$M" client call "$GA" --identity "$(user "$j")" --data-dir "$T/c$j" --media "$GC_MEDIA" \
        --seconds "$GC_SECS" "$@" 2>"$T/$phase-call$j.err"
}

gc_val() { sed -n "s/^$3 = //p" "$T/$1-$2.out"; } # phase i field

group_call() {
    local outsider=$USERS # in bravo only: alpha ends at A_LAST < USERS
    local callers=(2 "$A_LAST") gsk_caller=3
    local listeners=() i p rc=0 key
    for i in $(seq 1 "$A_LAST") "$outsider"; do listeners+=("$i"); done
    GC_MEDIA="239.255.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)):$((40000 + RANDOM % 20000))"

    echo
    gc_step "8. alpha: a GMK of its own for the call"
    "$M" gms gmk rotate --data-dir "$T/gms" --log-level warn --groups "$GA" --text "alpha call" \
        --wait --timeout 120 >"$T/call-rot" 2>"$T/call-rot.err" ||
        { echo "group call: FAILED: rotate: $(tail -3 "$T/call-rot.err")"; return 1; }
    key=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/call-rot")
    gc_done "gmk $key"

    gc_step "9. alpha call: u${callers[0]} and u${callers[1]} talk at once ($GC_MEDIA)"
    gc_listen call "${listeners[@]}" || return 1
    local cp=()
    for i in "${callers[@]}"; do
        gc_call call "$i" &
        cp+=($!)
    done
    for p in "${cp[@]}"; do wait "$p" || rc=1; done
    gc_wait_listeners
    gc_done "${#listeners[@]} listeners"

    gc_step "10. off network: u$gsk_caller broadcasts a signed GSK, talks under it"
    gc_listen gsk "${listeners[@]}" || return 1
    gc_call gsk "$gsk_caller" --gsk --sign || rc=1
    gc_wait_listeners
    gc_done "gsk $(sed -n 's/.*event=call-done.* gsk_id=\([0-9a-f]*\).*/\1/p' \
        "$T/gsk-call$gsk_caller.err")"

    # members decrypt everything (two senders under the new key), the others nothing
    local per=$((GC_SECS * 50)) n=${#callers[@]}
    local wrong=0 role want1 want2 got1 got2 acc verdict
    echo
    echo "== group call: packets decrypted / received (what it should be) =="
    printf '%-22s %-11s %-20s %-26s %s\n' client role "call ($n talking)" "off network (GSK)" verdict
    for i in "${listeners[@]}"; do
        if [ "$i" = "$REMOVED" ]; then
            role=removed
        elif [ "$i" = "$outsider" ]; then
            role=non-member
        else
            role=member
        fi
        if [ $role = member ]; then
            want1="$((per * n))/$((per * n))"
            want2="gsk $per/$per"
        else
            want1="0/$((per * n))"
            want2="- 0/$per"
        fi
        got1="$(gc_val call "$i" decrypted)/$(gc_val call "$i" received)"
        acc=$(gc_val gsk "$i" gsk.accepted)
        [ "${acc:-0}" -ge 1 ] && acc=gsk || acc=-
        got2="$acc $(gc_val gsk "$i" decrypted)/$(gc_val gsk "$i" received)"
        verdict=ok
        if [ "$got1" != "$want1" ] || [ "$got2" != "$want2" ]; then
            verdict="WRONG (should be $want1, $want2)"
        elif [ $role = member ] &&
            [ "$(grep -c "^sender .* key=gmk key_id=$key .* decrypted=$per " "$T/call-$i.out")" != "$n" ]; then
            verdict="WRONG (not $n senders under $key)" # R-003-37: one key per talker
        fi
        [ "$verdict" = ok ] || wrong=$((wrong + 1))
        printf '%-22s %-11s %-20s %-26s %s\n' "$(user "$i")" $role "$got1" "$got2" "$verdict"
    done
    reasons() { sed -n 's/^rejected\.\(.*\) = \(.*\)/\1 \2/p' "$T/call-$1.out" | tr '\n' ' '; }
    echo "rejected: by u$REMOVED (removed) $(reasons "$REMOVED")- by u$outsider (not in alpha) $(reasons "$outsider")"
    if [ "$wrong" -ne 0 ] || [ "$rc" -ne 0 ]; then
        echo "group call: FAILED: $wrong listeners wrong"
        return 1
    fi
    echo "group call: OK - the $((A_LAST - 1)) alpha members decrypt both calls;" \
        "u$REMOVED (removed) and u$outsider (not in alpha) decrypt nothing"
}
