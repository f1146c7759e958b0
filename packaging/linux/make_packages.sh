#!/usr/bin/env bash
# Wrap dist/mroqc-desk into a .deb (Debian's own dpkg-deb) and a tarball with a desktop entry.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(dist/mroqc-desk/mroqc-desk --version | awk '{print $2}')
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# .deb: the bundle in /opt, a launcher in /usr/bin, a desktop entry and an icon.
root="$stage/deb"
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
         "$root/usr/share/icons/hicolor/256x256/apps"
cp -a dist/mroqc-desk "$root/opt/mroqc-desk"
ln -s /opt/mroqc-desk/mroqc-desk "$root/usr/bin/mroqc-desk"
cp packaging/linux/mroqc-desk.desktop "$root/usr/share/applications/"
cp resources/icons/mroqc-desk-256.png "$root/usr/share/icons/hicolor/256x256/apps/mroqc-desk.png"
size_kb=$(du -sk "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size_kb/" packaging/linux/control.in > "$root/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$root" "dist/mroqc-desk_${version}_amd64.deb" >/dev/null
echo "built dist/mroqc-desk_${version}_amd64.deb ($(du -h "dist/mroqc-desk_${version}_amd64.deb" | cut -f1))"

# tarball: the same bundle with the desktop entry and icon beside it, and an install note.
tar_root="$stage/mroqc-desk-$version"
cp -a dist/mroqc-desk "$tar_root"
cp packaging/linux/mroqc-desk.desktop resources/icons/mroqc-desk-256.png "$tar_root/"
cp packaging/linux/INSTALL.txt "$tar_root/"
tar -C "$stage" -czf "dist/mroqc-desk-${version}-linux-x86_64.tar.gz" "mroqc-desk-$version"
echo "built dist/mroqc-desk-${version}-linux-x86_64.tar.gz ($(du -h "dist/mroqc-desk-${version}-linux-x86_64.tar.gz" | cut -f1))"
