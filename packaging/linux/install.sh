#!/bin/sh
# Install PoseStudio for this user, no root: the app into ~/.local/lib/posestudio, the
# `posestudio` command into ~/.local/bin, the menu entry, icon, AppStream data and the
# .psproj file type into ~/.local/share. PREFIX=/some/dir ./install.sh installs there instead.
# Running it again replaces the installed copy; ~/.local/lib/posestudio/uninstall.sh removes it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
APP_ID=org.posestudio.PoseStudio
LIB=$PREFIX/lib/posestudio
BIN=$PREFIX/bin
SHARE=$PREFIX/share

[ -x "$HERE/PoseStudio/posestudio" ] || { echo "install.sh: $HERE/PoseStudio/posestudio is missing" >&2; exit 2; }
mkdir -p "$PREFIX/lib" "$BIN" "$SHARE/applications" "$SHARE/metainfo" "$SHARE/mime/packages"

# the app: copied beside the old one, then swapped in
rm -rf "$LIB.new"
cp -R "$HERE/PoseStudio" "$LIB.new"
cp "$HERE/uninstall.sh" "$LIB.new/uninstall.sh"
rm -rf "$LIB"
mv "$LIB.new" "$LIB"
ln -sf "$LIB/posestudio" "$BIN/posestudio"

MANIFEST=$LIB/installed-files.txt
echo "$BIN/posestudio" > "$MANIFEST"
# the menu entry starts the installed binary by its full path (quoted: $HOME may hold spaces)
sed -e "s|^Exec=posestudio|Exec=\"$LIB/posestudio\"|" -e "s|^TryExec=posestudio|TryExec=$LIB/posestudio|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
echo "$SHARE/applications/$APP_ID.desktop" >> "$MANIFEST"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
echo "$SHARE/metainfo/$APP_ID.metainfo.xml" >> "$MANIFEST"
cp "$HERE/share/mime/packages/$APP_ID.xml" "$SHARE/mime/packages/"
echo "$SHARE/mime/packages/$APP_ID.xml" >> "$MANIFEST"
(cd "$HERE/share" && find icons -type f) | while read -r icon; do
    mkdir -p "$(dirname "$SHARE/$icon")"
    cp "$HERE/share/$icon" "$SHARE/$icon"
    echo "$SHARE/$icon" >> "$MANIFEST"
done

# refresh the desktop's caches where their tools exist (a headless machine may have none)
command -v update-mime-database >/dev/null && update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t -f "$SHARE/icons/hicolor" || true

echo "PoseStudio installed in $LIB"
case ":$PATH:" in
    *":$BIN:"*) echo "run it from the menu or as: posestudio" ;;
    *) echo "run it from the menu or as: $BIN/posestudio ($BIN is not on your PATH)" ;;
esac
echo "remove it with: $LIB/uninstall.sh"
