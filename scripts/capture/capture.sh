#!/usr/bin/env bash
# Captures a real btrfs extent-buffer accessor trace from Debian's unmodified 6.1 kernel,
# booted under qemu on this machine (KVM when /dev/kvm works, otherwise TCG software
# emulation). See docs/traces.md.
#
#   usage:   scripts/capture/capture.sh [OUTDIR]        (default OUTDIR: ./capture-out)
#   env:     PKSLAB_CAPTURE_WORK  download/build dir  (default /var/tmp/pkslab-capture)
#            PKSLAB_KERNEL_PKG    kernel package      (default: what linux-image-amd64 depends on,
#                                                      which must be linux-image-6.1.0-*-amd64)
#            PKSLAB_SCALE         files per workload phase (default 200)
#            PKSLAB_SMP           guest CPUs, 1 or 2  (default 2)
#            PKSLAB_BUFKB         ftrace ring buffer per CPU in KiB (default 196608)
#            PKSLAB_TIMEOUT       seconds before the guest is killed (default 3600)
#   writes:  OUTDIR/trace.txt (ftrace text), OUTDIR/report.txt (probes placed/failed,
#            hits, misses, overruns, timing), OUTDIR/probes-*.txt, cpu-stats.txt,
#            kprobe_profile.txt, console.log
#   exit:    0 when the trace is complete, 2 when events were lost, 1 on any failure.
#
# Needs root only for apt-get install of qemu-system-x86 when qemu is missing. Downloads
# .deb files with apt-get download into the work dir; nothing is written inside the
# repository except OUTDIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(mkdir -p "${1:-capture-out}" && cd "${1:-capture-out}" && pwd)"
WORK="${PKSLAB_CAPTURE_WORK:-/var/tmp/pkslab-capture}"
SCALE="${PKSLAB_SCALE:-200}"
SMP="${PKSLAB_SMP:-2}"
BUFKB="${PKSLAB_BUFKB:-196608}"
TIMEOUT="${PKSLAB_TIMEOUT:-3600}"

PROG=capture
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
t0=$(date +%s)

[[ "$SMP" == 1 || "$SMP" == 2 ]] || die "PKSLAB_SMP must be 1 or 2"
command -v apt-get >/dev/null || die "apt-get is required (Debian or a derivative)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is required"

if ! command -v qemu-system-x86_64 >/dev/null; then
  say "installing qemu-system-x86 (apt-get install)"
  [[ $(id -u) == 0 ]] || die "qemu-system-x86_64 is missing; install qemu-system-x86 as root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 >&2 ||
    die "apt-get install qemu-system-x86 failed (run apt-get update first?)"
fi

KPKG="${PKSLAB_KERNEL_PKG:-}"
if [[ -z "$KPKG" ]]; then
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
  [[ -n "$KPKG" ]] || die "linux-image-amd64 does not depend on a linux-image-6.1.0-*-amd64; set PKSLAB_KERNEL_PKG"
fi
[[ "$KPKG" =~ ^linux-image-6\.1\.0-[0-9]+-amd64$ ]] || die "PKSLAB_KERNEL_PKG=$KPKG is not linux-image-6.1.0-N-amd64"
KVER="${KPKG#linux-image-}"
say "kernel package $KPKG"

# Guest user space: busybox-static, btrfs-progs, attr (setfattr/getfattr) and the shared
# libraries they link against.
PKGS=("$KPKG" busybox-static btrfs-progs attr libattr1 libc6 libgcc-s1 libblkid1 libuuid1
  libcom-err2 libext2fs2 liblzo2-2 libudev1 libzstd1 zlib1g)
DEBS="$WORK/debs"
mkdir -p "$DEBS"
missing=()
for p in "${PKGS[@]}"; do
  compgen -G "$DEBS/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  say "apt-get download ${missing[*]}"
  (cd "$DEBS" && apt-get download "${missing[@]}" >&2) ||
    die "apt-get download failed (run apt-get update first?)"
fi

STAGE="$WORK/stage-$KVER"
rm -rf "$STAGE"
mkdir -p "$STAGE"
for p in "${PKGS[@]}"; do
  for deb in "$DEBS/${p}"_*.deb; do dpkg-deb -x "$deb" "$STAGE"; done
done
BB="$STAGE/bin/busybox"
[[ -x "$BB" ]] || die "busybox-static did not unpack to bin/busybox"
VMLINUZ="$STAGE/boot/vmlinuz-$KVER"
[[ -f "$VMLINUZ" ]] || die "no $VMLINUZ in $KPKG"

# Modules: virtio block and btrfs with every dependency, from a modules.dep that busybox
# depmod builds over the package's module tree.
MODDIR="$STAGE/lib/modules/$KVER"
"$BB" depmod -b "$STAGE" "$KVER" || die "depmod failed"
declare -A want=()
add_module() {
  local rel
  rel=$(grep -E "(^|/)$1\.ko:" "$MODDIR/modules.dep" | head -n1 | cut -d: -f1)
  [[ -n "$rel" ]] || die "module $1 not in $KPKG"
  want[$rel]=1
  for dep in $(grep -E "^$rel:" "$MODDIR/modules.dep" | cut -d: -f2); do want[$dep]=1; done
}
for m in virtio_pci virtio_blk crc32c_generic crc32c-intel btrfs; do add_module "$m"; done

ROOT="$WORK/initramfs-$KVER"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,out,mnt,"lib/modules/$KVER"}
cp "$BB" "$ROOT/bin/busybox"
cp "$MODDIR/modules.builtin" "$MODDIR/modules.order" "$ROOT/lib/modules/$KVER/"
for rel in "${!want[@]}"; do
  mkdir -p "$ROOT/lib/modules/$KVER/$(dirname "$rel")"
  cp "$MODDIR/$rel" "$ROOT/lib/modules/$KVER/$rel"
done
say "modules: $(printf '%s ' "${!want[@]}" | xargs -n1 basename | sort | tr '\n' ' ')"

# Dynamic executables and their libraries, resolved by the packaged loader itself.
LD="$STAGE/lib64/ld-linux-x86-64.so.2"
LIBPATH="$STAGE/lib/x86_64-linux-gnu:$STAGE/usr/lib/x86_64-linux-gnu"
cp -L "$LD" "$ROOT/lib64/"
mkdir -p "$ROOT/lib/x86_64-linux-gnu"
for exe in sbin/mkfs.btrfs bin/btrfs usr/bin/setfattr usr/bin/getfattr; do
  [[ -f "$STAGE/$exe" ]] || die "$exe missing from the packages"
  cp "$STAGE/$exe" "$ROOT/$exe"
  list=$("$LD" --library-path "$LIBPATH" --list "$STAGE/$exe") || die "cannot resolve libraries of $exe"
  if grep -q 'not found' <<<"$list"; then die "$exe: $(grep 'not found' <<<"$list" | tr '\n' ' ')"; fi
  while read -r lib; do
    cp -L "$lib" "$ROOT/lib/x86_64-linux-gnu/"
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$list")
done
cp "$HERE/guest-init.sh" "$ROOT/init"
chmod +x "$ROOT/init"
INITRD="$WORK/initramfs-$KVER.cpio.gz"
(cd "$ROOT" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1 >"$INITRD")
say "initramfs $(du -h "$INITRD" | cut -f1)"

# Disks: the btrfs filesystem, the raw trace text, and a tar of the report files.
DISK="$WORK/btrfs.img"
TRACEDISK="$WORK/trace.img"
TARDISK="$WORK/report.img"
rm -f "$DISK" "$TRACEDISK" "$TARDISK"
truncate -s 2G "$DISK"
# Trace text is about 3 times the ring buffer's binary size: room for 4 times, plus 1 GiB.
truncate -s "$((SMP * BUFKB * 4 + 1048576))K" "$TRACEDISK"
truncate -s 64M "$TARDISK"

# KVM when /dev/kvm is usable (qemu falls back to the next -accel if it is not), else TCG.
ACCEL=(-accel tcg,thread=multi -cpu max)
MODE=tcg
if [[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]]; then
  ACCEL=(-accel kvm -accel tcg,thread=multi -cpu max)
  MODE="kvm if usable, else tcg (the guest's report says which)"
fi
MEM=$((1024 + SMP * BUFKB / 1024))
say "booting $KVER under qemu ($MODE, -smp $SMP, ${MEM} MiB), scale $SCALE"
t1=$(date +%s)
set +e
timeout "$TIMEOUT" qemu-system-x86_64 "${ACCEL[@]}" -smp "$SMP" -m "$MEM" -nographic -no-reboot \
  -kernel "$VMLINUZ" -initrd "$INITRD" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 pkslab.scale=$SCALE pkslab.bufkb=$BUFKB" \
  -drive "file=$DISK,format=raw,if=virtio" \
  -drive "file=$TRACEDISK,format=raw,if=virtio" \
  -drive "file=$TARDISK,format=raw,if=virtio" </dev/null >"$OUT/console.log" 2>&1
qrc=$?
set -e
t2=$(date +%s)
grep '^pkslab-guest:' "$OUT/console.log" >&2 || true
((qrc == 0)) || die "qemu exited with $qrc (timeout is ${TIMEOUT}s); see $OUT/console.log"

tar -xf "$TARDISK" -C "$OUT" 2>/dev/null || die "the guest wrote no report; see $OUT/console.log"
status=$(cat "$OUT/status" 2>/dev/null || echo missing)
[[ "$status" != failed && -f "$OUT/trace-bytes" ]] || die "guest status $status; see $OUT/report.txt"
head -c "$(cat "$OUT/trace-bytes")" "$TRACEDISK" >"$OUT/trace.txt"
# The trace header's count check, besides the guest's overrun/dropped/missed counters.
entries=$(head -n 5 "$OUT/trace.txt" | sed -n 's/.*entries-in-buffer\/entries-written: *\([0-9]*\)\/\([0-9]*\).*/\1 \2/p')
read -r kept written <<<"${entries:-0 -1}"
if [[ "$kept" != "$written" ]]; then
  say "trace header: ${kept} entries kept of ${written} written"
  status=lost-events
fi
rm -f "$DISK" "$TRACEDISK" "$TARDISK"

{
  echo "capture: kernel $KPKG ($(dpkg-deb -f "$DEBS/${KPKG}"_*.deb Version)), qemu $MODE, smp $SMP, scale $SCALE"
  echo "capture: guest run $((t2 - t1)) s, total $(($(date +%s) - t0)) s"
  echo "capture: probes placed $(wc -l <"$OUT/probes-placed.txt"), failed $(wc -l <"$OUT/probes-failed.txt")"
  sed 's/^/capture: failed probe /' "$OUT/probes-failed.txt"
  echo "capture: probes placed but never hit: $(awk '$2 == 0 {printf "%s ", $1}' "$OUT/kprobe_profile.txt")"
  echo "capture: trace $(wc -l <"$OUT/trace.txt") lines, $(cat "$OUT/trace-bytes") bytes"
} | tee -a "$OUT/report.txt" >&2
if [[ "$status" == ok ]]; then
  say "no events lost (ring-buffer overruns 0, dropped 0, kprobe misses 0); trace in $OUT/trace.txt"
  exit 0
fi
say "EVENTS WERE LOST (status $status): see $OUT/report.txt and $OUT/cpu-stats.txt"
exit 2
