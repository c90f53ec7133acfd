#!/usr/bin/env bash
# `mcgk media`: srtp-keys against the Streamwide and synthetic vectors (TS 33.180
# 7.4.2), MCData seal/open round trips (R-003-38), the error names and exit codes
# of failures, and --help on every verb.
set -u
M=${1:?usage: test_media_cli.sh path/to/mcgk}
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
# value of NAME in [SECTION] of a vector file (SECTION "" = the top level)
v() { awk -v s="$2" -v n="$1" '
    /^\[/ { sec = $1; gsub(/[][]/, "", sec); next }
    (s == "" || sec == s) && $1 == n { print $3; exit }' "$VEC/$3" | tr 'A-F' 'a-f'; }
expect() { local name=$1 want=$2; shift 2; local out; out=$("$@" 2>/dev/null)
  if grep -qx -- "$want" <<<"$out"; then ok "$name"; else ko "$name (got: ${out:0:160})"; fi; }
expect_err() { local name=$1 rc=$2 err=$3; shift 3; local got; got=$("$@" 2>&1 >/dev/null); local r=$?
  if [ $r -eq "$rc" ] && grep -qx "error: $err" <<<"$got"; then ok "$name"; else ko "$name (rc=$r: $got)"; fi; }

SW=streamwide-mikey-sakke.txt SYN=synthetic-gmk-imessage.txt
for sec in imessage.1.GMK imessage.4.GMK_LEGACY_IWF; do
  args=(--gmk "$(v stated_key $sec $SW)" --gmk-id "$(v stated_key_id $sec $SW)"
        --guk-id "$(v guk_id $sec $SW)" --rand "$(v stated_rand $sec $SW)")
  expect "srtp_key_$sec" "master_key = $(v srtp_master_key_cs4 $sec $SW)" "$M" media srtp-keys "${args[@]}"
  expect "srtp_salt_$sec" "master_salt = $(v srtp_master_salt_cs4 $sec $SW)" "$M" media srtp-keys "${args[@]}" --cs-id 4
  expect "srtp_mki_$sec" "mki = $(v srtp_mki $sec $SW)" "$M" media srtp-keys "${args[@]}"
done
# the brief's values, with the GUK-ID computed from the sender's URI
out=$("$M" media srtp-keys --gmk 07d1a1677ac36d8e81620484689b3c2d --gmk-id 0df9bc39 \
      --user sip:alice@streamwide.com --rand ca2f5d51ff0866362c1d85a56f84651e)
if grep -qx "master_key = acb1b4e2b2dca12291e1794a8ef84947" <<<"$out" &&
   grep -qx "master_salt = ee2f78e5ef16939d4a938327" <<<"$out" &&
   grep -qx "mki = 0df9bc3906a12aea" <<<"$out" && grep -qx "guk_id = 06a12aea" <<<"$out"; then
  ok srtp_keys_by_user; else ko "srtp_keys_by_user ($out)"; fi
expect srtp_key_synthetic "master_key = $(v srtp_master_key_cs4 "" $SYN)" "$M" media srtp-keys \
  --gmk "$(v gmk "" $SYN)" --gmk-id "$(v gmk_id "" $SYN)" --guk-id "$(v guk_id "" $SYN)" --rand "$(v rand "" $SYN)"
# PCK message, CS-ID 1 (private call receiver): TGK = PCK, CSB ID = PCK-ID
expect srtp_key_pck_cs1 "master_key = $(v srtp_master_key_cs1 imessage.3.PCK $SW)" "$M" media srtp-keys \
  --gmk "$(v stated_key imessage.3.PCK $SW)" --gmk-id 16992638 --guk-id 16992638 \
  --rand "$(v stated_rand imessage.3.PCK $SW)" --cs-id 1

# MCData: seal with a fixed IV, open, the wrong key, a flipped octet
G=00112233445566778899aabbccddeeff
env=$("$M" media mcdata-seal --gmk $G --gmk-id 0abcdef1 --payload 48656c6c6f --iv 000102030405060708090a0b0c0d0e0f \
      --payload-id 7 --seq 1 | sed -n 's/^envelope = //p')
if [ ${#env} -eq $(( (5 + 51) * 2 )) ] && [ "${env:56:8}" = 0abcdef1 ]; then ok mcdata_seal; else ko "mcdata_seal ($env)"; fi
expect mcdata_open "payload = 48656c6c6f" "$M" media mcdata-open --gmk $G --gmk-id 0abcdef1 --envelope "$env"
expect mcdata_open_seq "payload_seq = 1" "$M" media mcdata-open --gmk $G --gmk-id 0abcdef1 --envelope "$env"
env2=$("$M" media mcdata-seal --gmk $G --gmk-id 0abcdef1 --payload 48656c6c6f | sed -n 's/^envelope = //p')
if [ -n "$env2" ] && [ "$env2" != "$env" ]; then ok mcdata_seal_random_iv; else ko mcdata_seal_random_iv; fi
expect mcdata_open_random_iv "payload = 48656c6c6f" "$M" media mcdata-open --gmk $G --gmk-id 0abcdef1 --envelope "$env2"
expect_err mcdata_wrong_key 1 payload-auth "$M" media mcdata-open --gmk ${G%ff}fe --gmk-id 0abcdef1 --envelope "$env"
expect_err mcdata_wrong_id 1 unknown-key-id "$M" media mcdata-open --gmk $G --gmk-id 0abcdef2 --envelope "$env"
flipped=${env:0:80}$(printf '%02x' $(( 0x${env:80:2} ^ 1 )))${env:82}
expect_err mcdata_tampered 1 payload-auth "$M" media mcdata-open --gmk $G --gmk-id 0abcdef1 --envelope "$flipped"
expect_err mcdata_truncated 1 truncated "$M" media mcdata-open --gmk $G --gmk-id 0abcdef1 --envelope "${env:0:100}"
expect_err mcdata_pck_id 1 key-purpose "$M" media mcdata-seal --gmk $G --gmk-id 1abcdef1 --payload 00

# usage and input errors
expect_err srtp_both_ids 2 usage "$M" media srtp-keys --gmk $G --gmk-id 0abcdef1 --guk-id 0c195d7d --user sip:a@b --rand 00
expect_err srtp_no_id 2 usage "$M" media srtp-keys --gmk $G --gmk-id 0abcdef1 --rand 00
expect_err srtp_short_gmk 1 length "$M" media srtp-keys --gmk 0011 --gmk-id 0abcdef1 --guk-id 0c195d7d --rand 00
expect_err srtp_bad_hex 1 hex "$M" media srtp-keys --gmk $G --gmk-id zz --guk-id 0c195d7d --rand 00
expect_err srtp_cs_id 2 usage "$M" media srtp-keys --gmk $G --gmk-id 0abcdef1 --guk-id 0c195d7d --rand 00 --cs-id 256
"$M" media nope >/dev/null 2>&1; if [ $? -eq 2 ]; then ok unknown_verb; else ko unknown_verb; fi
for verb in srtp-keys mcdata-seal mcdata-open; do
  if "$M" media $verb --help | grep -q "^usage: mcgk media $verb"; then ok "help_$verb"; else ko "help_$verb"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
