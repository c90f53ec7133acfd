#!/usr/bin/env bash
# `mcgk crypto`: every verb against the published vectors, the error names and
# exit codes of its failures, and --help on every verb.
set -u
M=${1:?usage: test_crypto_cli.sh path/to/mcgk}
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
# value of NAME in a vector file (first occurrence; comments dropped)
v() { grep "^$1 " "$VEC/$2" | head -1 | sed 's/^[^=]*= *//;s/ .*//' | tr 'A-F' 'a-f'; }
# expect OUTPUT-LINE from a command
expect() { local name=$1 want=$2; shift 2; local out; out=$("$@" 2>/dev/null)
  if grep -qx -- "$want" <<<"$out"; then ok "$name"; else ko "$name (got: ${out:0:120})"; fi; }
# expect a failure with exit code RC and 'error: NAME' on stderr
expect_err() { local name=$1 rc=$2 err=$3; shift 3; local got; got=$("$@" 2>&1 >/dev/null); local r=$?
  if [ $r -eq "$rc" ] && grep -qx "error: $err" <<<"$got"; then ok "$name"; else ko "$name (rc=$r: $got)"; fi; }

S=rfc6508-sakke.txt E=rfc6507-eccsi.txt K=ts33180-kdf.txt
# uid (TS 33.180 F.2.1), Streamwide [uid.6]
expect uid_streamwide "uid = 3a81fb14c3b1d0fe43c9c577104d55a6d81788bfd2f09743c4557746a5a0353b" \
  "$M" crypto uid --user sip:user@example.org --kms kms.example.org --period 2592000 --offset 0 --period-no 1388
# uid by time: 0xec898da8 NTP -> period 236 of the Streamwide KMS (period 16777215)
expect uid_by_time "uid = 15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e" \
  "$M" crypto uid --user gms@streamwide.com --kms kms.mydev.streamwide.com --period 16777215 --offset 0 --time 3968437672
expect guk_id "guk_id = 06a12aea" "$M" crypto guk-id --gmk 07d1a1677ac36d8e81620484689b3c2d --gmk-id 0df9bc39 --user sip:alice@streamwide.com
# SAKKE RFC 6508 Appendix A
expect sakke_encap "encap = $(v ENCAPSULATED_DATA $S)" "$M" crypto sakke-encap --Z "$(v Z $S)" --id "$(v b $S)" --ssv "$(v SSV $S)"
expect sakke_decap "ssv = $(v SSV $S)" "$M" crypto sakke-decap --Z "$(v Z $S)" --id "$(v b $S)" --rsk "$(v RSK $S)" --encap "$(v ENCAPSULATED_DATA $S)"
expect_err sakke_decap_bad_h 1 decapsulate "$M" crypto sakke-decap --Z "$(v Z $S)" --id "$(v b $S)" --rsk "$(v RSK $S)" --encap "$(v ENCAPSULATED_DATA_BAD_H $S)"
expect rsk_valid "rsk_valid = 01" "$M" crypto validate --kpak "$(v KPAK $E)" --Z "$(v Z $S)" --id "$(v b $S)" --rsk "$(v RSK $S)"
# ECCSI RFC 6507 Appendix A
expect eccsi_verify "valid = 01" "$M" crypto eccsi-verify --kpak "$(v KPAK $E)" --id "$(v ID $E)" --msg "$(v M $E)" --sig "$(v SIGNATURE $E)"
expect_err eccsi_verify_bad_msg 1 signature "$M" crypto eccsi-verify --kpak "$(v KPAK $E)" --id "$(v ID $E)" --msg "$(v M_BAD $E)" --sig "$(v SIGNATURE $E)"
expect_err eccsi_verify_bad_r 1 signature "$M" crypto eccsi-verify --kpak "$(v KPAK $E)" --id "$(v ID $E)" --msg "$(v M $E)" --sig "$(v SIGNATURE_BAD_R $E)"
expect ssk_valid "ssk_valid = 01" "$M" crypto validate --kpak "$(v KPAK $E)" --id "$(v ID $E)" --ssk "$(v SSK $E)" --pvt "$(v PVT $E)"
expect_err ssk_bad 1 ssk-invalid "$M" crypto validate --kpak "$(v KPAK $E)" --id "$(v ID $E)" --ssk "$(v SSK_BAD $E)" --pvt "$(v PVT $E)"
# bad input: wrong length, bad hex, point off the curve, usage
expect_err wrong_length 1 length "$M" crypto sakke-encap --Z 04 --id 00 --ssv "$(v SSV $S)"
expect_err bad_hex 1 hex "$M" crypto sakke-encap --Z zz --id 00 --ssv 00
Zbad=$(v Z $S); Zbad="${Zbad:0:512}00"
expect_err off_curve 1 point-not-on-curve "$M" crypto sakke-encap --Z "$Zbad" --id 00 --ssv "$(v SSV $S)"
expect_err missing_flag 2 usage "$M" crypto uid --user x
expect_err unknown_flag 2 usage "$M" crypto uid --nope 1

# a fresh KMS, keys issued, validated, used across the CLI
kms=$("$M" crypto kms-keygen); k() { sed -n "s/^$1 = //p" <<<"$kms"; }
id=$("$M" crypto uid --user sip:alice@example.org --kms kms.example.org --period 2592000 --offset 0 --period-no 1500 | sed 's/.* = //')
keys=$("$M" crypto issue --ksak "$(k ksak)" --z "$(k z)" --id "$id"); s() { sed -n "s/^$1 = //p" <<<"$keys"; }
expect fresh_validate "rsk_valid = 01" "$M" crypto validate --kpak "$(k kpak)" --Z "$(k Z)" --id "$id" --ssk "$(s ssk)" --pvt "$(s pvt)" --rsk "$(s rsk)"
sig=$("$M" crypto eccsi-sign --kpak "$(k kpak)" --id "$id" --ssk "$(s ssk)" --pvt "$(s pvt)" --msg 6d657373616765 | sed 's/.* = //')
expect fresh_sign_verify "valid = 01" "$M" crypto eccsi-verify --kpak "$(k kpak)" --id "$id" --msg 6d657373616765 --sig "$sig"
enc=$("$M" crypto sakke-encap --Z "$(k Z)" --id "$id" --ssv 00112233445566778899aabbccddeeff | sed 's/.* = //')
expect fresh_decap "ssv = 00112233445566778899aabbccddeeff" "$M" crypto sakke-decap --Z "$(k Z)" --id "$id" --rsk "$(s rsk)" --encap "$enc"

# --help on every verb
for verb in uid kms-keygen issue validate eccsi-sign eccsi-verify sakke-encap sakke-decap guk-id; do
  if "$M" crypto "$verb" --help | grep -q "usage: mcgk crypto $verb"; then ok "help_$verb"; else ko "help_$verb"; fi
done
"$M" crypto --help | grep -q 'sakke-decap' && ok help_role || ko help_role
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
