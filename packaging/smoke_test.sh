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

step "--version";  "$exe" --version
step "init";       "$exe" init --db init.sqlite3 --facility "Smoke Test RO"
step "demo";       "$exe" demo --db demo.sqlite3 --patients 2000 --years 3 --seed 7 --as-of 2025-06-30
step "verify";     "$exe" verify --db demo.sqlite3
step "export workbook"; "$exe" export workbook --db demo.sqlite3 --out demo.xlsx
step "import";     "$exe" import --db init.sqlite3 demo.xlsx
step "check --json"
set +e; "$exe" check --db demo.sqlite3 --as-of 2025-06-30 --json > check.json; rc=$?; set -e
[ "$rc" -le 1 ] || { echo "check failed with exit $rc"; exit 1; }
python3 -c "import json; d=json.load(open('check.json')); assert d['as_of'] == '2025-06-30' and isinstance(d['findings'], list)"
step "programs --json"; "$exe" programs --db demo.sqlite3 --as-of 2025-06-30 --json > programs.json
step "export enrollment (.xlsx, .csv)"
"$exe" export enrollment --db demo.sqlite3 --out enrollment.xlsx --year 2025 --as-of 2025-06-30
"$exe" export enrollment --db demo.sqlite3 --out enrollment.csv --year 2025 --as-of 2025-06-30
"$exe" export audit-pdf --db demo.sqlite3 --out audit.pdf --year 2025 --as-of 2025-06-30
head -c 5 audit.pdf | grep -q "%PDF-" || { echo "audit.pdf is not a PDF"; exit 1; }
step "export audit-pdf ($(stat -c %s audit.pdf) bytes)"
"$exe" screenshot --db demo.sqlite3 --out shots --as-of 2025-06-30 2>shots.err || { cat shots.err; exit 1; }
no_traceback shots.err
[ "$(ls shots/*.png | wc -l)" -ge 10 ] || { echo "screenshot wrote too few PNGs"; exit 1; }
step "screenshot ($(ls shots | wc -l) PNGs)"
step "GUI starts offscreen and quits"
MROQC_DESK_QUIT_AFTER_MS=1500 timeout 60 "$exe" --db demo.sqlite3 2>gui.err || { cat gui.err; exit 1; }
no_traceback gui.err
step "bad input gives one line and exit 2"
set +e; "$exe" verify --db missing.sqlite3 2>err.txt; rc=$?; set -e
[ "$rc" -eq 2 ] && [ "$(wc -l < err.txt)" -eq 1 ] || { echo "expected exit 2 with one line"; exit 1; }
echo "smoke test passed"
