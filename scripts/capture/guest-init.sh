#!/bin/busybox sh
# /init of the capture guest (busybox sh). Built into the initramfs by capture.sh.
#
# Loads virtio and btrfs, makes a btrfs filesystem on /dev/vda, places kprobe events on
# the btrfs extent-buffer accessors and markers, runs the metadata workload with tracing
# on, then writes the ftrace text buffer raw to /dev/vdb and the report files as a tar
# to /dev/vdc, and powers off. Every probe that cannot be placed is reported by name.
#
# Kernel command line: pkslab.scale=N (workload size, files per phase), pkslab.bufkb=K
# (ring buffer per CPU, KiB).

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /out
mkdir -p /mnt

SCALE=200
BUFKB=196608
for arg in $(cat /proc/cmdline); do
  case "$arg" in
  pkslab.scale=*) SCALE="${arg#pkslab.scale=}" ;;
  pkslab.bufkb=*) BUFKB="${arg#pkslab.bufkb=}" ;;
  esac
done

REPORT=/out/report.txt
say() { echo "pkslab-guest: $*" | tee -a "$REPORT"; }
finish() {
  say "status: $1"
  echo "$1" >/out/status
  (cd /out && tar -cf /dev/vdc .)
  sync
  echo "pkslab-guest: done"
  poweroff -f
}

say "kernel $(uname -r), cpus $(nproc), scale $SCALE, buffer ${BUFKB} KiB/cpu"
hv=$(dmesg | grep -o -m1 'Hypervisor detected: .*')
say "accelerator: ${hv:-no hypervisor detected (TCG software emulation)}"
depmod
for m in virtio_pci virtio_blk crc32c_generic crc32c-intel btrfs; do
  if ! modprobe "$m" 2>>"$REPORT"; then
    case "$m" in
    crc32c-intel) say "module $m not loaded (no SSE4.2 on this CPU model; crc32c_generic used)" ;;
    *)
      say "error: cannot load module $m"
      finish failed
      ;;
    esac
  fi
done
mdev -s 2>/dev/null
for d in vda vdb vdc; do
  [ -b /dev/$d ] || {
    say "error: /dev/$d missing"
    finish failed
  }
done

mkfs.btrfs -q -f /dev/vda >>"$REPORT" 2>&1 || {
  say "error: mkfs.btrfs failed"
  finish failed
}
mount -t btrfs /dev/vda /mnt || {
  say "error: mount failed"
  finish failed
}
say "btrfs: $(grep ' /mnt ' /proc/mounts)"

T=/sys/kernel/tracing
mount -t tracefs nodev $T || {
  say "error: no tracefs"
  finish failed
}
echo 0 >$T/tracing_on
echo "$BUFKB" >$T/buffer_size_kb
echo >$T/trace
echo global >$T/trace_clock

# One probe per line: NAME FUNCTION FETCHARGS. Fetch args are the x86-64 argument
# registers (%di, %si, %dx, %cx, %r8) as the 6.1 prototypes place them.
# eb = struct extent_buffer *; eb->start is its first member (+0), eb->len the second (+8).
EBA='eb=%di:x64 start=+0(%di):u64'
TOK='eb=+0(%di):x64 start=+0(+0(%di)):u64'
placed=0
failed=0
: >/out/probes-failed.txt
: >/out/probes-placed.txt
probe() {
  name="$1"
  shift
  if echo "p:pkslab/$name $*" >>$T/kprobe_events 2>/dev/null; then
    placed=$((placed + 1))
    echo "$name $*" >>/out/probes-placed.txt
  else
    failed=$((failed + 1))
    why="not placed"
    grep -q "^$1\$" $T/available_filter_functions 2>/dev/null || why="not traceable (inlined, notrace or absent)"
    grep -qw "$1" /proc/kallsyms || why="absent from kallsyms (inlined or renamed)"
    echo "$name $1: $why" >>/out/probes-failed.txt
    say "probe $name on $1 FAILED: $why"
  fi
}
for f in read_extent_buffer write_extent_buffer memcmp_extent_buffer read_extent_buffer_to_user_nofault; do
  probe "$f" "$f" "$EBA" 'off=%dx:u64 len=%cx:u64'
done
probe memzero_extent_buffer memzero_extent_buffer "$EBA" 'off=%si:u64 len=%dx:u64'
for f in memcpy_extent_buffer memmove_extent_buffer; do
  probe "$f" "$f" "$EBA" 'off=%si:u64 src=%dx:u64 len=%cx:u64'
done
probe copy_extent_buffer copy_extent_buffer "$EBA" 'srceb=%si:x64 srcstart=+0(%si):u64 off=%dx:u64 src=%cx:u64 len=%r8:u64'
probe copy_extent_buffer_full copy_extent_buffer_full "$EBA" 'srceb=%si:x64 srcstart=+0(%si):u64 len=+8(%di):u64'
# Header writers: 16 bytes at a fixed offset of struct btrfs_header (fsid, chunk_tree_uuid).
probe write_extent_buffer_fsid write_extent_buffer_fsid "$EBA"
probe write_extent_buffer_chunk_tree_uuid write_extent_buffer_chunk_tree_uuid "$EBA"
for b in 8 16 32 64; do
  probe "btrfs_get_$b" "btrfs_get_$b" "$EBA" 'ptr=%si:u64 off=%dx:u64'
  probe "btrfs_set_$b" "btrfs_set_$b" "$EBA" 'ptr=%si:u64 off=%dx:u64'
  probe "btrfs_get_token_$b" "btrfs_get_token_$b" "$TOK" 'ptr=%si:u64 off=%dx:u64'
  probe "btrfs_set_token_$b" "btrfs_set_token_$b" "$TOK" 'ptr=%si:u64 off=%dx:u64'
done
# Markers: search sessions, transaction commits, fsync.
probe btrfs_search_slot btrfs_search_slot 'root=%si:x64 ins_len=%r8:s32 cow=%r9:s32'
probe btrfs_search_old_slot btrfs_search_old_slot 'root=%di:x64'
probe btrfs_search_forward btrfs_search_forward 'root=%di:x64'
probe btrfs_commit_transaction btrfs_commit_transaction 'trans=%di:x64'
probe btrfs_sync_file btrfs_sync_file 'file=%di:x64'
probe btrfs_bin_search btrfs_bin_search "$EBA"
say "probes placed: $placed, failed: $failed"
if ! echo 1 >$T/events/pkslab/enable; then
  say "error: cannot enable the pkslab probes"
  finish failed
fi

mark() { echo "pkslab: phase $1" >$T/trace_marker; }
N=$SCALE
DIRS=$(((N + 19) / 20))
W=/mnt/w
start=$(cut -d' ' -f1 /proc/uptime)
echo 1 >$T/tracing_on
mark begin
mkdir -p $W
mark mkdir
i=0
while [ $i -lt $DIRS ]; do
  mkdir $W/d$i
  i=$((i + 1))
done
mark create
i=0
while [ $i -lt $N ]; do
  echo "file $i of the pkslab capture" >$W/d$((i % DIRS))/f$i
  i=$((i + 1))
done
mark setxattr
i=0
while [ $i -lt $N ]; do
  setfattr -n user.pkslab -v "value-$i" $W/d$((i % DIRS))/f$i
  i=$((i + 3))
done
mark sync
sync
mark write
i=0
while [ $i -lt $N ]; do
  dd if=/dev/zero of=$W/d$((i % DIRS))/f$i bs=4096 count=2 seek=1 conv=notrunc 2>/dev/null
  i=$((i + 4))
done
mark fsync
i=0
while [ $i -lt $N ]; do
  sync $W/d$((i % DIRS))/f$i
  i=$((i + 10))
done
mark rename
i=0
while [ $i -lt $N ]; do
  mv $W/d$((i % DIRS))/f$i $W/d$(((i + 1) % DIRS))/r$i
  i=$((i + 5))
done
mark unlink
i=1
while [ $i -lt $N ]; do
  rm -f $W/d$((i % DIRS))/f$i
  i=$((i + 7))
done
mark sync2
sync
mark cold
echo 3 >/proc/sys/vm/drop_caches
stat $W/d0/f0 >/dev/null 2>&1
ls -lR $W >/dev/null
find $W -name 'r*' >/dev/null
getfattr -d -R $W >/dev/null 2>&1
mark read
cat $W/d*/* >/dev/null
mark end
echo 0 >$T/tracing_on
end=$(cut -d' ' -f1 /proc/uptime)
say "workload: ${start}s -> ${end}s uptime"

# Loss accounting: the trace header's entries-in-buffer/entries-written, each CPU's
# overrun and dropped counters, and the kprobes' own missed counts (kprobe_profile).
for c in $T/per_cpu/cpu*; do
  echo "== $(basename "$c")" >>/out/cpu-stats.txt
  cat "$c/stats" >>/out/cpu-stats.txt
done
cat $T/kprobe_profile >/out/kprobe_profile.txt
cat $T/kprobe_events >/out/kprobe_events.txt
overrun=$(awk '/^overrun:/ {s += $2} END {print s + 0}' /out/cpu-stats.txt)
dropped=$(awk '/^dropped events:/ {s += $3} END {print s + 0}' /out/cpu-stats.txt)
missed=$(awk '{s += $3} END {print s + 0}' /out/kprobe_profile.txt)
hits=$(awk '{s += $2} END {print s + 0}' /out/kprobe_profile.txt)
say "probe hits: $hits, kprobe misses: $missed, ring-buffer overruns: $overrun, dropped: $dropped"

# The trace text goes raw to /dev/vdb; its byte count into the report.
t0=$(cut -d' ' -f1 /proc/uptime)
bytes=$(cat $T/trace | tee /dev/vdb | wc -c)
sync
say "trace read out in ${t0}s -> $(cut -d' ' -f1 /proc/uptime)s uptime"
echo "$bytes" >/out/trace-bytes
head -c 4096 /dev/vdb | grep -m1 'entries-in-buffer' >/out/entries.txt
say "trace: $bytes bytes; $(cat /out/entries.txt)"
if [ "$overrun" = 0 ] && [ "$dropped" = 0 ] && [ "$missed" = 0 ]; then
  finish ok
else
  finish lost-events
fi
