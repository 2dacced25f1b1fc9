#!/bin/sh
# Remove a per-user PoseStudio install made by install.sh (same PREFIX, default ~/.local).
# Your projects, settings and imported models are left where they are.
set -eu
PREFIX=${PREFIX:-$HOME/.local}
LIB=$PREFIX/lib/posestudio
SHARE=$PREFIX/share
MANIFEST=$LIB/installed-files.txt
[ -f "$MANIFEST" ] || { echo "uninstall.sh: no PoseStudio install in $LIB" >&2; exit 2; }
while read -r f; do
    rm -f "$f"
done < "$MANIFEST"
rm -rf "$LIB"
command -v update-mime-database >/dev/null && update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$SHARE/icons/hicolor" || true
echo "PoseStudio removed from $PREFIX"
