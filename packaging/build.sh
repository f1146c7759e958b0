#!/usr/bin/env bash
# Build the one-folder bundle and the Linux installer artifacts, then smoke-test the bundle.
#   bash packaging/build.sh            -> dist/mroqc-desk/, dist/mroqc-desk_<ver>_amd64.deb,
#                                         dist/mroqc-desk-<ver>-linux-x86_64.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
python3 dev.py setup
.venv/bin/python -m pip install --quiet "pyinstaller>=6.5"
rm -rf build/pyinstaller dist/mroqc-desk
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/mroqc-desk.spec
echo "bundle size: $(du -sh dist/mroqc-desk | cut -f1)"
bash packaging/linux/make_packages.sh
bash packaging/smoke_test.sh dist/mroqc-desk/mroqc-desk
