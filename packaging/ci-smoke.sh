#!/usr/bin/env bash
# CI: build the bundle with `make dist`, unpack the tarball outside the source tree and run it
# in an empty environment (no virtualenv, no PYTHONPATH, a fresh HOME): the window on the
# sample project (--screenshot), `render` of the sample to MP4, `generate` on a real photo
# with the weight-free engine and with the shipped model (ONNX Runtime); then check that
# torch is nowhere in the bundle, that `train` answers in one line, and install.sh/uninstall.sh.
# Exits non-zero on the first failure; prints the time of each step.
# SKIP_BUILD=1 reuses dist/ from an earlier `make dist`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${POSESTUDIO_SHARED:-$ROOT/../shared}
SAMPLES=$SHARED/samples/deepfashion
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/posestudio/__init__.py")
NAME=PoseStudio-$VERSION-linux-x86_64
WORK=$(mktemp -d /tmp/posestudio-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

T=$SECONDS
lap() { echo "[smoke] $1: $((SECONDS - T)) s"; T=$SECONDS; }
fail() { echo "[smoke] FAILED: $*" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    # DIST_MAKE_ARGS: extra make flags, e.g. "-o .venv/.installed-dist" to skip the install step
    # shellcheck disable=SC2086
    make -C "$ROOT" ${DIST_MAKE_ARGS:-} dist
    lap "make dist"
fi
TAR=$ROOT/dist/$NAME.tar.gz
[ -f "$TAR" ] || fail "$TAR was not built"
echo "[smoke] tarball $(du -m "$TAR" | cut -f1) MiB"
tar -xzf "$TAR" -C "$WORK"
APPDIR=$WORK/$NAME
echo "[smoke] bundle $(du -sm "$APPDIR/PoseStudio" | cut -f1) MiB unpacked"
lap "unpack"

mkdir -p "$WORK/home" "$WORK/out"
cd "$WORK"  # outside the source tree
ps() {  # the bundled app in an empty environment
    env -i HOME="$WORK/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
        POSESTUDIO_REPORT_MODULES="$WORK/modules.txt" "$APPDIR/PoseStudio/posestudio" "$@"
}
nonempty() { [ -s "$1" ] || fail "$1 missing or empty"; }

ps --version
SAMPLE=$(ls "$APPDIR"/PoseStudio/_internal/resources/samples/*.psproj | head -1)
ps --screenshot "$WORK/out/window.png" "$SAMPLE"
nonempty "$WORK/out/window.png"
lap "--screenshot $(basename "$SAMPLE")"

ps render "$SAMPLE" --out "$WORK/out/sample.mp4"
nonempty "$WORK/out/sample.mp4"
head -c 12 "$WORK/out/sample.mp4" | grep -q ftyp || fail "sample.mp4 is not an MP4 file"
lap "render to MP4"

POSE=(--source "$SAMPLES/2_A.jpg" --source-pose "$SAMPLES/keypoints.csv" --source-name 2_A.jpg --target-name 2_B.jpg)
ps generate "${POSE[@]}" --model puppet --out "$WORK/out/2A_puppet.png"
nonempty "$WORK/out/2A_puppet.png"
lap "generate, weight-free"
ps generate "${POSE[@]}" --model refine-pose-synth --out "$WORK/out/2A_model.png" | tee "$WORK/gen.log"
grep -q "refine-pose-synth on onnx/cpu" "$WORK/gen.log" || fail "the shipped model did not run on ONNX Runtime"
nonempty "$WORK/out/2A_model.png"
lap "generate, shipped model"

# torch: no file of it on disk, and no module of it in the executable's archive
if find "$APPDIR/PoseStudio" -iname 'torch*' | grep -q .; then fail "torch files in the bundle"; fi
if [ -x "$ROOT/.venv/bin/pyi-archive_viewer" ]; then
    "$ROOT/.venv/bin/pyi-archive_viewer" --list --recursive "$APPDIR/PoseStudio/posestudio" > "$WORK/archive.txt"
    grep -q "posestudio.cli" "$WORK/archive.txt" || fail "could not list the bundle's modules"
    # a module named torch or torch.* (not safetensors.torch or our torch_backend, which import it lazily)
    if grep -Eq "'torch(\.[^']*)?'" "$WORK/archive.txt"; then fail "torch modules in the bundle"; fi
fi
# and at run time: every module the commands above imported (packaging/entry.py writes them)
grep -qx onnxruntime "$WORK/modules.txt" || fail "onnxruntime was never imported: no model ran"
if grep -Eq '^torch(\.|$)' "$WORK/modules.txt"; then fail "a command imported torch"; fi
set +e
ps train refine-pose --out "$WORK/run" 2> "$WORK/train.err"
code=$?
set -e
[ "$code" = 2 ] && [ "$(wc -l < "$WORK/train.err")" = 1 ] && grep -q "source install" "$WORK/train.err" \
    || fail "train in the bundle: exit $code, $(cat "$WORK/train.err")"
set +e
ps models check pona 2> "$WORK/check.err"
code=$?
set -e
[ "$code" = 2 ] && [ "$(wc -l < "$WORK/check.err")" = 1 ] \
    || fail "models check in the bundle: exit $code, $(cat "$WORK/check.err")"
lap "no torch; train and models check say so"

# per-user install into a scratch prefix, the installed command, then uninstall
env -i HOME="$WORK/home" PATH=/usr/bin:/bin PREFIX="$WORK/prefix" sh "$APPDIR/install.sh"
env -i HOME="$WORK/home" PATH=/usr/bin:/bin "$WORK/prefix/bin/posestudio" --version
DESKTOP=$WORK/prefix/share/applications/org.posestudio.PoseStudio.desktop
nonempty "$DESKTOP"
nonempty "$WORK/prefix/share/icons/hicolor/256x256/apps/org.posestudio.PoseStudio.png"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$DESKTOP"; fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$WORK/prefix/share/metainfo/org.posestudio.PoseStudio.metainfo.xml"
else
    echo "[smoke] appstreamcli not installed: metainfo not validated (apt-get install appstream)"
fi
env -i HOME="$WORK/home" PATH=/usr/bin:/bin PREFIX="$WORK/prefix" sh "$WORK/prefix/lib/posestudio/uninstall.sh"
[ ! -e "$WORK/prefix/lib/posestudio" ] && [ ! -e "$DESKTOP" ] || fail "uninstall left files behind"
lap "install.sh / uninstall.sh"
echo "[smoke] all passed"
