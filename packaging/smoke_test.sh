#!/usr/bin/env bash
# Smoke test of a built bundle, headless: the CLI commands and the GUI starting and quitting.
#   bash packaging/smoke_test.sh dist/mroqc-desk/mroqc-desk
set -euo pipefail
exe=$(realpath "${1:-dist/mroqc-desk/mroqc-desk}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen MROQC_DESK_DATA_DIR="$work/data"
cd "$work"
step() { echo "smoke: $*"; }
# A frozen bundle that misses a module prints a traceback and may still exit 0: fail on any.
no_traceback() { if grep -q "Traceback" "$1"; then cat "$1"; echo "smoke: a traceback (above)"; exit 1; fi; }

# Every command that opens a database signs in; the password comes on standard input.
pw="smoke test password"
as_admin=(--user smoke-admin --password-stdin)
run() { printf '%s\n' "$pw" | "$exe" "$@"; }

step "--version";  "$exe" --version
step "init";       run init --db init.sqlite3 --facility "Smoke Test RO" --admin smoke-admin --password-stdin > init.out
key=$(sed -n 's/^recovery key: //p' init.out); [ -n "$key" ] || { cat init.out; echo "no recovery key printed"; exit 1; }
step "demo";       run demo --db demo.sqlite3 --patients 2000 --years 3 --seed 7 --as-of 2025-06-30 --admin smoke-admin --password-stdin
step "verify";     run verify --db demo.sqlite3 "${as_admin[@]}"
step "verify with the recovery key"; printf '%s\n' "$key" | "$exe" verify --db init.sqlite3 --recovery-key-stdin
step "encrypted";  if grep -qa "SQLite format 3" demo.sqlite3; then echo "demo.sqlite3 is not encrypted"; exit 1; fi
step "users";      printf '%s\n%s\n' "$pw" "a first password" | "$exe" users add --db demo.sqlite3 cda1 --role coordinator "${as_admin[@]}"
run users list --db demo.sqlite3 "${as_admin[@]}" | grep -q cda1
step "wrong password: sign-in failed, exit 2"
set +e; printf 'wrong password!!\n' | "$exe" check --db demo.sqlite3 "${as_admin[@]}" 2>err.txt; rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q "^sign-in failed:" err.txt || { cat err.txt; echo "expected sign-in failed"; exit 1; }
step "export workbook"; run export workbook --db demo.sqlite3 --out demo.xlsx "${as_admin[@]}"
step "import";     run import --db init.sqlite3 demo.xlsx "${as_admin[@]}"
step "backup";     run backup --db demo.sqlite3 --out demo.backup "${as_admin[@]}"
step "check --json"
set +e; run check --db demo.sqlite3 --as-of 2025-06-30 --json "${as_admin[@]}" > check.json; rc=$?; set -e
[ "$rc" -le 1 ] || { echo "check failed with exit $rc"; exit 1; }
python3 -c "import json; d=json.load(open('check.json')); assert d['as_of'] == '2025-06-30' and isinstance(d['findings'], list)"
step "programs --json"; run programs --db demo.sqlite3 --as-of 2025-06-30 --json "${as_admin[@]}" > programs.json
step "export enrollment (.xlsx, .csv)"
run export enrollment --db demo.sqlite3 --out enrollment.xlsx --year 2025 --as-of 2025-06-30 "${as_admin[@]}"
run export enrollment --db demo.sqlite3 --out enrollment.csv --year 2025 --as-of 2025-06-30 "${as_admin[@]}"
run export audit-pdf --db demo.sqlite3 --out audit.pdf --year 2025 --as-of 2025-06-30 "${as_admin[@]}"
head -c 5 audit.pdf | grep -q "%PDF-" || { echo "audit.pdf is not a PDF"; exit 1; }
step "export audit-pdf ($(stat -c %s audit.pdf) bytes)"
run screenshot --db demo.sqlite3 --out shots --as-of 2025-06-30 "${as_admin[@]}" 2>shots.err || { cat shots.err; exit 1; }
no_traceback shots.err
[ "$(ls shots/*.png | wc -l)" -ge 10 ] || { echo "screenshot wrote too few PNGs"; exit 1; }
step "screenshot ($(ls shots | wc -l) PNGs)"
step "GUI starts offscreen and quits"
printf '%s\n' "$pw" | MROQC_DESK_QUIT_AFTER_MS=1500 timeout 60 "$exe" --db demo.sqlite3 "${as_admin[@]}" 2>gui.err \
    || { cat gui.err; exit 1; }
no_traceback gui.err
step "bad input gives one line and exit 2"
set +e; run verify --db missing.sqlite3 "${as_admin[@]}" 2>err.txt; rc=$?; set -e
[ "$rc" -eq 2 ] && [ "$(wc -l < err.txt)" -eq 1 ] || { echo "expected exit 2 with one line"; exit 1; }
step "files are private to the account"
if find . -maxdepth 1 -type f \( -name '*.sqlite3*' -o -name '*.backup' \) -perm /077 | grep -q .; then
    ls -l; echo "a database file is readable by others"; exit 1; fi
echo "smoke test passed"
