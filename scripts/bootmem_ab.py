#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot bootmem-rs kernels under QEMU/OVMF and A/B-compare them.

  bootmem_ab.py initramfs            build build/initramfs.cpio
  bootmem_ab.py boot VARIANT         boot one variant, check it
  bootmem_ab.py ab                   boot both, print the table, compare
  bootmem_ab.py sim                  simulated unaccepted memory: lazy vs
                                     eager, C vs Rust (make sim)

A boot passes when QEMU powers off by itself before the timeout, the
tree's own tools/testing/kunit/kunit.py parses the KTAP with no failed or
crashed test, the log has no WARNING/BUG/Oops/panic (outside the markers a
test prints around a WARNING it provokes on purpose, which must then hold
one), and the initramfs printed its boot-state dump.

A kexec point (MATRIX, kexec=True) boots each variant with an initramfs
that also holds /sbin/kexec and that variant's own (equalised) bzImage:
its /init dumps the boot state, loads the same kernel with
kexec_file_load() and boots it; the second kernel runs its own KUnit,
dumps its state from the plain initramfs and powers off.  The serial log
is split at the marker /init prints before `kexec -e`, and both kernels
are checked and compared (second-kernel rows are named "2nd kernel: ...").
"""

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
LOGS = os.path.join(BUILD, "logs")
RESULTS = os.path.join(BUILD, "results")
KDIR = os.environ.get("KDIR") or os.path.join(BUILD, "linux")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
EXPECTED = os.path.join(TOP, "tools", "testing", "ab", "expected-differences")
EXPECTED_STOCK = os.path.join(TOP, "tools", "testing", "ab", "expected-differences-stock")
# i8042.noaux: the PS/2 mouse is probed asynchronously and, slow under
# TCG, once printed its "input: ImExPS/2 ..." line inside the KUnit
# output, between a subtest's "KTAP version 1" and its "# Subtest:" header,
# which kunit.py could not parse (seen once in the C kernel's efi_memmap
# suite, all cases then counted as errors).  No observable involves it.
# (Other asynchronous lines cannot be turned off: ktap_only() keeps them
# from kunit.py.)
BASE_APPEND = ("console=ttyS0 panic=-1 oops=panic memblock=debug "
               "nokaslr i8042.noaux")

BAD_PATTERNS = [
    re.compile(p) for p in (
        r"WARNING:", r"\bBUG:", r"kernel BUG at", r"\bOops\b",
        r"Kernel panic", r"general protection fault", r"UBSAN:",
        r"possible circular locking", r"INFO: task .* blocked",
        r"rust_panic|panicked at",
        # Simulated unaccepted memory: a double accept, a page used
        # before it was accepted, an accept of part of a unit.
        r"efi_unaccepted_sim: .*(twice|before it was accepted|not whole units)",
    )
]
EXPECT_BEGIN = "bootmem-rs: expected WARNING begin"
# What only a real WARN()/WARN_ON() prints (6.12's __warn()): a pr_warn()
# saying "WARNING:" does not taint, dump a backtrace or honour
# panic_on_warn, and must not satisfy an expected-WARNING section.
REAL_WARN = re.compile(r"WARNING: CPU: \d+ PID: \d+ at \S")
EXPECT_END = "bootmem-rs: expected WARNING end"
STATE_BEGIN = "=== bootmem-rs state begin ==="
STATE_END = "=== bootmem-rs state end ==="

INIT_SCRIPT = r"""#!/bin/busybox sh
# bootmem-rs boot-state dump: print what the memory code decided, power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
# init's first line: seconds since the kernel started (make sim).
echo "bootmem-rs: init start $(cut -d' ' -f1 /proc/uptime)"
mount -t sysfs sysfs /sys
sim=/sys/kernel/debug/efi_unaccepted_sim
if grep -q efi_unaccepted_sim= /proc/cmdline; then
	mount -t debugfs debugfs /sys/kernel/debug
	sed 's/^/bootmem-rs: sim at init: /' $sim
fi
# Keep late kernel messages (clocksource, ...) out of the dump.
echo 1 > /proc/sys/kernel/printk
echo "=== bootmem-rs state begin ==="
echo "--- meminfo"
grep -E '^(MemTotal|MemFree|Unaccepted):' /proc/meminfo
if [ -r $sim ]; then
	echo "--- unaccepted-sim"
	cat $sim
fi
echo "--- iomem"
cat /proc/iomem
echo "--- efi-runtime-map"
for d in /sys/firmware/efi/runtime-map/*; do
	[ -d "$d" ] || continue
	echo "$(cat $d/type) $(cat $d/phys_addr) $(cat $d/num_pages) $(cat $d/attribute) $(cat $d/virt_addr)"
done
echo "--- efi-sysfs"
ls /sys/firmware/efi | sort
echo "--- boot-services"
dmesg | grep -o 'Freeing EFI boot services memory: .*'
# With initcall_debug (make bench-boot): how long the two phases took.
echo "--- boot-timing"
dmesg | grep -oE 'efi_(unmap|free)_boot_services\(\) took [0-9]+ ns'
echo "=== bootmem-rs state end ==="
poweroff -f
"""


KEXEC_MARK = "=== bootmem-rs kexec ==="
KEXEC_CMDLINE_MARK = "bootmem_rs.kexec=2"
KEXEC_BIN = "/sbin/kexec"
# The first kernel's /init at a kexec point: the dump above, then, instead
# of powering off, the same kernel again through kexec_file_load() (-s),
# with the first kernel's command line plus a marker.  On the way,
# kexec_file_load() hands the second kernel the first one's EFI runtime
# map and e820 table and a SETUP_EFI setup_data: the second kernel takes
# the kexec_enter_virtual_mode() path.  Its initrd is the plain
# initramfs (dump, power off).  -x: no ifdown (no network here; it would
# only print an error).
KEXEC_TAIL = r"""cmdline="$(cat /proc/cmdline) %s"
if %s -s -l /kexec/bzImage --initrd=/kexec/initrd.cpio --command-line="$cmdline"; then
	echo "%s"
	%s -e -x
fi
echo "bootmem-rs: kexec failed"
dmesg | grep -iE 'kexec|purgatory|bzImage' | tail -20
poweroff -f
""" % (KEXEC_CMDLINE_MARK, KEXEC_BIN, KEXEC_MARK, KEXEC_BIN)


def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- initramfs

def gen_init_cpio():
    """The tree's own usr/gen_init_cpio, from a built variant."""
    for v in ("c", "rust"):
        cand = os.path.join(out_dir(v), "usr", "gen_init_cpio")
        if os.access(cand, os.X_OK):
            return cand
    sys.exit("initramfs: no usr/gen_init_cpio yet: build a kernel first")


def build_initramfs():
    """build/initramfs.cpio: busybox-static and our /init, packed by the
    tree's own usr/gen_init_cpio (no root needed for /dev/console)."""
    out = os.path.join(BUILD, "initramfs.cpio")
    gen = gen_init_cpio()
    os.makedirs(BUILD, exist_ok=True)
    init = os.path.join(BUILD, "initramfs-init.sh")
    with open(init, "w") as f:
        f.write(INIT_SCRIPT)
    lst = os.path.join(BUILD, "initramfs.list")
    with open(lst, "w") as f:
        f.write("dir /dev 0755 0 0\n"
                "nod /dev/console 0600 0 0 c 5 1\n"
                "dir /bin 0755 0 0\n"
                "dir /proc 0755 0 0\n"
                "dir /sys 0755 0 0\n"
                "file /bin/busybox /bin/busybox 0755 0 0\n"
                f"file /init {init} 0755 0 0\n")
    with open(out + ".tmp", "wb") as f:
        run([gen, lst], stdout=f)
    os.replace(out + ".tmp", out)
    return out


def shared_libraries(binary):
    """The shared objects a dynamic binary loads, as ldd lists them
    (including the ELF interpreter): [(path in the image, file to copy)]."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if "not a dynamic executable" in p.stdout + p.stderr:
        return []
    if p.returncode != 0:
        sys.exit(f"initramfs: ldd {binary} failed: {p.stderr.strip()}")
    libs = []
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(?:\S+ => )?(/\S+) \(0x", line)
        if m:
            libs.append((m.group(1), os.path.realpath(m.group(1))))
    return libs


def build_kexec_initramfs(variant, image):
    """build/initramfs-kexec-VARIANT.cpio: the plain initramfs's busybox,
    an /init that kexecs (KEXEC_TAIL), /sbin/kexec with its shared
    libraries, and in /kexec the variant's bzImage (the equalised one
    that is booted) and the plain initramfs as the second kernel's initrd."""
    plain = build_initramfs()
    gen = gen_init_cpio()
    if not os.access(KEXEC_BIN, os.X_OK):
        sys.exit(f"initramfs: {KEXEC_BIN} missing: install kexec-tools (scripts/setup-deps.sh)")
    init = os.path.join(BUILD, "initramfs-kexec-init.sh")
    with open(init, "w") as f:
        assert INIT_SCRIPT.endswith("poweroff -f\n")
        f.write(INIT_SCRIPT[:-len("poweroff -f\n")] + KEXEC_TAIL)
    files = [(KEXEC_BIN, os.path.realpath(KEXEC_BIN))] + shared_libraries(KEXEC_BIN)
    dirs = {"/dev", "/bin", "/proc", "/sys", "/kexec"}
    for dest, _ in files:
        d = os.path.dirname(dest)
        while d != "/":
            dirs.add(d)
            d = os.path.dirname(d)
    lst = os.path.join(BUILD, f"initramfs-kexec-{variant}.list")
    with open(lst, "w") as f:
        for d in sorted(dirs):
            f.write(f"dir {d} 0755 0 0\n")
        f.write("nod /dev/console 0600 0 0 c 5 1\n"
                "file /bin/busybox /bin/busybox 0755 0 0\n"
                f"file /init {init} 0755 0 0\n"
                f"file /kexec/bzImage {image} 0644 0 0\n"
                f"file /kexec/initrd.cpio {plain} 0644 0 0\n")
        for dest, src in files:
            f.write(f"file {dest} {src} 0755 0 0\n")
    out = os.path.join(BUILD, f"initramfs-kexec-{variant}.cpio")
    with open(out + ".tmp", "wb") as f:
        run([gen, lst], stdout=f)
    os.replace(out + ".tmp", out)
    return out


# --------------------------------------------------------------------- boot

def out_dir(variant):
    """Build directory of a variant: build/out-VARIANT, or $AB_OUT_VARIANT
    (make mutants boots a mutated Rust kernel as the "rust" column)."""
    sfx = "-" + os.environ["SANITIZE"] if os.environ.get("SANITIZE") else ""
    return (os.environ.get("AB_OUT_" + variant.upper())
            or os.path.join(BUILD, "out-" + variant + sfx))


def built_image(variant):
    return os.path.join(out_dir(variant), "arch", "x86", "boot", "bzImage")


def pe_size_of_image_offset(data):
    """Offset of the PE optional header's SizeOfImage in a bzImage."""
    if data[:2] != b"MZ":
        raise ValueError("not a PE image (no MZ)")
    pe = int.from_bytes(data[0x3c:0x40], "little")
    if data[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not a PE image (no PE signature)")
    return pe + 24 + 56


def equalised_images(variants):
    """Copies of the variants' bzImages that OVMF lays out identically.

    OVMF reads the whole file into boot-services memory and then allocates
    SizeOfImage to load it, top-down, before everything it allocates later
    (boot services data, the BGRT image): two images of different length
    put all of that at different addresses.  Padding every file with zeros
    to the same length (the largest, rounded up to 4 KiB) and giving every
    PE header the same SizeOfImage (the largest) removes that difference, so
    the boots can be compared exactly.  The padding is past the end of the
    PE sections and the setup header's syssize, so nothing reads it.
    Returns {variant: path}.
    """
    datas = {}
    for v in variants:
        bz = built_image(v)
        if not os.path.exists(bz):
            sys.exit(f"boot: {bz} missing: run 'make build VARIANT={v}'")
        with open(bz, "rb") as f:
            datas[v] = bytearray(f.read())
    length = max(len(d) for d in datas.values())
    length = (length + 4095) // 4096 * 4096
    soi = max(int.from_bytes(d[pe_size_of_image_offset(d):][:4], "little")
              for d in datas.values())
    out = {}
    os.makedirs(os.path.join(BUILD, "boot"), exist_ok=True)
    for v, d in datas.items():
        off = pe_size_of_image_offset(d)
        d[off:off + 4] = soi.to_bytes(4, "little")
        d.extend(b"\0" * (length - len(d)))
        path = os.path.join(BUILD, "boot", f"bzImage-{v}")
        with open(path + ".tmp", "wb") as f:
            f.write(d)
        os.replace(path + ".tmp", path)
        out[v] = path
    return out


def qemu_cmd(variant, mem, smp, append, vars_copy, initrd, image=None,
             machine="q35", extra=()):
    bz = image or built_image(variant)
    if not os.path.exists(bz):
        sys.exit(f"boot: {bz} missing: run 'make build VARIANT={variant}'")
    return [
        "qemu-system-x86_64", "-machine", f"{machine},accel=tcg", "-cpu", "max",
        *extra,
        "-m", mem, "-smp", str(smp), "-nographic", "-no-reboot",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
        "-kernel", bz, "-initrd", initrd,
        "-append", (BASE_APPEND + " " + append).strip(),
    ]


def boot(variant, mem="1G", smp=2, append="", timeout=600, tag=None,
         image=None, machine="q35", extra=(), initrd=None):
    """Boot one variant; return (log_path, wall_seconds, timed_out)."""
    os.makedirs(LOGS, exist_ok=True)
    initrd = initrd or build_initramfs()
    tag = tag or f"{variant}-{mem}-smp{smp}"
    path = os.path.join(LOGS, f"boot-{tag}.log")
    with tempfile.TemporaryDirectory() as tmp:
        vars_copy = os.path.join(tmp, "OVMF_VARS.fd")
        shutil.copyfile(OVMF_VARS, vars_copy)
        cmd = qemu_cmd(variant, mem, smp, append, vars_copy, initrd, image,
                       machine, extra)
        with open(path + ".cmd", "w") as f:
            f.write(" ".join(cmd) + "\n")
        start = time.monotonic()
        timed_out = False
        with open(path, "wb") as f:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                p.kill()
                p.wait()
        wall = time.monotonic() - start
    return path, wall, timed_out


def read_log(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    # Serial output has CRLF and ANSI noise from OVMF.
    text = text.replace("\r", "")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    return text.split("\n")


def strip_ts(line):
    return re.sub(r"^\[\s*\d+\.\d+\]\s?", "", line)


case_status = {}


# What a KTAP line looks like after the printk timestamp: a version line,
# a plan, a result, or a "#" line (subtest headers, diagnostics, totals).
KTAP_LINE = re.compile(r"^\s*(K?TAP version \d+|\d+\.\.\d+|(not )?ok \d+\b.*|#.*)$")


def ktap_only(lines):
    """The KTAP lines of a boot log, for kunit.py.

    Built-in suites run while other CPUs and workers still print (the TSC
    refinement's "clocksource: ..." lines at ~3 s, a PS/2 probe): such a
    line between a subtest's "KTAP version 1" and its "# Subtest:" header
    makes kunit.py miscount the whole suite (seen: efi_memmap, 11 cases,
    as errors).  The verdicts need only the KTAP lines; WARNINGs and the
    rest are judged on the whole log (check_log)."""
    return [raw for raw in lines if KTAP_LINE.match(strip_ts(raw))]


def kunit_results(path):
    """Parse KTAP with the tree's kunit.py; return (ok, suites, text)."""
    kunit = os.path.join(KDIR, "tools", "testing", "kunit", "kunit.py")
    jpath = path + ".kunit.json"
    kpath = path + ".ktap"
    write_lines(kpath, ktap_only(read_log(path)))
    p = subprocess.run([sys.executable, kunit, "parse", "--json=" + jpath,
                        kpath], capture_output=True, text=True)
    suites = []
    case_status.clear()
    try:
        with open(jpath) as f:
            data = json.load(f)
        for s in data.get("sub_groups", []):
            counts = {"pass": 0, "fail": 0, "skip": 0, "error": 0}
            cases = []
            # A parameterised case is a group of its own: each parameter
            # counts, as "case/parameter".
            todo = [("", s)]
            while todo:
                prefix, g = todo.pop(0)
                for t in g.get("test_cases", []):
                    st = t.get("status", "").lower()
                    st = {"pass": "pass", "fail": "fail", "skip": "skip"}.get(st, "error")
                    counts[st] += 1
                    cases.append((prefix + t.get("name", "?"), st))
                todo += [(prefix + sg.get("name", "?") + "/", sg)
                         for sg in g.get("sub_groups", [])]
            suites.append((s.get("name", "?"), counts))
            case_status[s.get("name", "?")] = cases
    except (OSError, ValueError):
        pass
    return p.returncode == 0, suites, p.stdout + p.stderr


POWER_DOWN = "reboot: Power down"


def check_log(lines, end=POWER_DOWN):
    """Problems found in a boot log (a list of strings; empty = clean).
    end: what the log must reach (the first kernel of a kexec point ends
    with KEXEC_MARK instead of powering off)."""
    problems = []
    inside = False
    expected_seen = None
    for raw in lines:
        line = strip_ts(raw)
        if EXPECT_BEGIN in line:
            inside, expected_seen = True, False
            continue
        if EXPECT_END in line:
            if not expected_seen:
                problems.append("a test expected a WARNING that did not come")
            inside = False
            continue
        for pat in BAD_PATTERNS:
            if pat.search(line):
                if inside and "WARNING:" in line:
                    if REAL_WARN.search(line):
                        expected_seen = True
                elif not inside:
                    problems.append("log: " + line.strip()[:160])
                break
    if inside:
        problems.append("log ends inside an expected-WARNING section")
    text = "\n".join(lines)
    if STATE_BEGIN not in text or STATE_END not in text:
        problems.append("no boot-state dump from the initramfs")
    if end not in text:
        problems.append("the kernel did not power off" if end == POWER_DOWN else
                        f"the kernel did not reach '{end}'")
    return problems


# -------------------------------------------------------------- observables

def section(lines, name):
    out, on = [], False
    for raw in lines:
        if re.match(r"^\[\s*\d+\.\d+\]", raw):
            continue    # a kernel message, not the initramfs's output
        line = raw
        if line.startswith("--- ") or line.startswith("=== bootmem-rs state end"):
            on = line == "--- " + name
            continue
        if on:
            out.append(line.rstrip())
    return out


MEMBLOCK_RGN = re.compile(
    r"^\s*(memory|reserved)\[0x[0-9a-f]+\]\s+\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\], "
    r"(0x[0-9a-f]+) bytes(?: on node (\d+))? flags: (0x[0-9a-f]+)")


def memblock_dump(lines):
    """The last memblock_dump_all() in the log (memblock=debug, x86 NUMA
    init): {'memory': [...], 'reserved': [...]} of (base, end, nid, flags)."""
    dumps = []
    cur = None
    for raw in lines:
        line = strip_ts(raw)
        if line.startswith("MEMBLOCK configuration:"):
            cur = {"memory": [], "reserved": []}
            dumps.append(cur)
            continue
        m = MEMBLOCK_RGN.match(line)
        if m and cur is not None:
            cur[m.group(1)].append((int(m.group(2), 16), int(m.group(3), 16),
                                    m.group(5), int(m.group(6), 16)))
    return dumps[-1] if dumps else None


def kernel_image(iomem):
    """[start, end] of the kernel image (code .. bss) from /proc/iomem."""
    lo, hi = None, None
    for line in iomem:
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : Kernel (code|rodata|data|bss)", line)
        if m:
            s, e = int(m.group(1), 16), int(m.group(2), 16)
            lo = s if lo is None else min(lo, s)
            hi = e if hi is None else max(hi, e)
    return lo, hi


PAGE = 4096
IMAGE_FREED = re.compile(
    r"Freeing (?:unused kernel image \([^)]*\)|SMP alternatives) memory: (\d+)K")
MEMORY_LINE = re.compile(
    r"Memory: (\d+)K/(\d+)K available \((.*)\)")


def memory_line(lines):
    """The figures of the last 'Memory: A/TK available (...)' line:
    {'available': A, 'total': T, 'kernel code': .., 'reserved': .., ...} in K."""
    fig = None
    for raw in lines:
        m = MEMORY_LINE.search(raw)
        if m:
            fig = {"available": int(m.group(1)), "total": int(m.group(2))}
            for part in m.group(3).split(","):
                mm = re.match(r"\s*(\d+)K (.+?)\s*$", part)
                if mm:
                    fig[mm.group(2)] = int(mm.group(1))
    return fig


def image_reserved_k(dump, klo, khi):
    """KiB of the pages of the memblock.reserved regions that hold the
    kernel image (touch [klo, khi] of iomem's Kernel code..bss): the image
    and its brk, as setup_arch() reserved them."""
    if dump is None or klo is None:
        return None
    pages = 0
    for base, end, _, _ in dump["reserved"]:
        if end >= klo and base <= khi:
            pages += (end + PAGE) // PAGE - base // PAGE   # end is inclusive
    return pages * PAGE // 1024


def observables(lines):
    """What one boot decided, as {name: value}; a value is a string, an
    int (KiB) or a list of lines."""
    obs = {}
    iomem = section(lines, "iomem")
    klo, khi = kernel_image(iomem)
    dump = memblock_dump(lines)
    fig = memory_line(lines) or {}
    meminfo = {l.split(":")[0]: int(re.sub(r"\D", "", l.split(":")[1]))
               for l in section(lines, "meminfo") if ":" in l}
    freed_img = [int(m.group(1)) for m in (IMAGE_FREED.search(strip_ts(l))
                                           for l in lines) if m]
    img = image_reserved_k(dump, klo, khi)
    # The kernel image's own pages: reserved for the image (with brk) at
    # boot, less what the kernel frees of it later (init sections, gaps,
    # .smp_locks).  The two variants' images differ in size; this is the
    # only difference the page ledger below allows.
    obs["kernel image reserved (K)"] = img
    obs["kernel image freed later (K)"] = sum(freed_img) if freed_img else None
    obs["Memory: total (K)"] = fig.get("total")
    obs["Memory: available (K)"] = fig.get("available")
    obs["Memory: reserved (K)"] = fig.get("reserved")
    obs["MemTotal (kB)"] = meminfo.get("MemTotal")
    obs["/proc/iomem (without Kernel *)"] = [
        l for l in iomem if not re.search(r": Kernel (code|rodata|data|bss)", l)]
    obs["EFI runtime map"] = section(lines, "efi-runtime-map")
    obs["/sys/firmware/efi"] = section(lines, "efi-sysfs")
    obs["EFI boot services freed"] = " ".join(
        l.replace("Freeing EFI boot services memory: ", "")
        for l in section(lines, "boot-services")) or None
    smp = [m.group(1) for m in (re.search(r"Freeing SMP alternatives memory: (\S+)",
                                          strip_ts(l)) for l in lines) if m]
    obs["SMP alternatives freed"] = " ".join(smp) or None
    if dump is None:
        obs["memblock.memory"] = None
        obs["memblock.reserved (outside kernel image)"] = None
        obs["memblock RSRV_KERN regions"] = None
    else:
        fmt = lambda r: f"[{r[0]:#x}-{r[1]:#x}] node {r[2]} flags {r[3]:#x}"
        obs["memblock.memory"] = [fmt(r) for r in dump["memory"]]
        # The regions that hold the image differ in size between the
        # variants: they are accounted by "kernel image reserved (K)".
        def outside(r):
            return klo is None or r[1] < klo or r[0] > khi
        obs["memblock.reserved (outside kernel image)"] = [
            fmt(r) for r in dump["reserved"] if outside(r)]
        obs["memblock RSRV_KERN regions"] = [
            fmt(r) for r in dump["reserved"] if r[3] & 0x20]
    obs.update(sample_observables(lines))
    obs.update(sim_observables(lines, meminfo))
    return obs


SAMPLE = "rust_bootmem: "
SAMPLE_STILL = re.compile(r"unaccepted memory: (\d+) units still unaccepted")


def sample_observables(lines):
    """What the Rust sample (samples/rust/rust_bootmem.rs, patch 0030)
    printed at load: its summary of the EFI memory map and the unaccepted
    memory table, and, apart (it depends on timing where there is a
    table), how many units were still unaccepted."""
    summary, still = [], None
    for raw in lines:
        line = strip_ts(raw)
        if SAMPLE not in line:
            continue
        text = line.split(SAMPLE, 1)[1].rstrip()
        m = SAMPLE_STILL.search(text)
        if m:
            still = int(m.group(1))
        else:
            summary.append(text)
    return {"rust_bootmem sample": summary or None,
            "rust_bootmem: units still unaccepted": still}


def sim_counters(lines, prefix):
    """{name: int} of the efi_unaccepted_sim counters in lines starting
    with prefix (stripped)."""
    out = {}
    for raw in lines:
        line = raw.strip()
        if line.startswith(prefix):
            k, _, v = line[len(prefix):].strip().partition(" ")
            if v.strip().lstrip("-").isdigit():
                out[k] = int(v)
    return out


SIM_INIT = "bootmem-rs: sim at init: "
SIM_ROWS = (("units_accepted", "sim: units accepted by the end"),
            ("double_accepts", "sim: double accepts"),
            ("use_before_accept", "sim: pages used before accept"),
            ("bad_ranges", "sim: partial-unit accepts"))


def unaccepted_table(lines):
    """(table address, reserved [start, end)) of the unaccepted memory
    table: efi: ... Unaccepted=0x.., and the range reserve_unaccepted()
    passes to memblock_add() (memblock=debug names it) if the same range
    was also memblock_reserve()d (a tail call there: the debug line names
    the caller, efi_config_parse_tables())."""
    addr, added, reserved = None, None, set()
    for raw in lines:
        line = strip_ts(raw)
        m = re.search(r"\bUnaccepted=(0x[0-9a-f]+)", line)
        if m and line.startswith("efi:"):
            addr = int(m.group(1), 16)
        m = re.search(r"memblock_(add|reserve): \[(0x[0-9a-f]+)-(0x[0-9a-f]+)\] (\S+)", line)
        if m:
            r = (int(m.group(2), 16), int(m.group(3), 16) + 1)
            if m.group(1) == "reserve":
                reserved.add(r)
            elif m.group(4).startswith("reserve_unaccepted+"):
                added = r
    return addr, (added if added in reserved else None)


def sim_observables(lines, meminfo):
    """Rows of a boot with simulated unaccepted memory (none otherwise)."""
    end = section(lines, "unaccepted-sim")
    if not end:
        return {}
    obs = {}
    at_init = sim_counters(lines, SIM_INIT)
    at_end = sim_counters(end, "")
    obs["sim: units accepted before slab"] = at_end.get("early_units")
    obs["sim: ranges accepted before slab"] = [
        l.strip()[len("early_range "):] for l in end if l.startswith("early_range ")]
    obs["sim: units accepted by init"] = at_init.get("units_accepted")
    for key, row in SIM_ROWS:
        obs[row] = at_end.get(key)
    obs["Unaccepted at the end (kB)"] = meminfo.get("Unaccepted")
    addr, rsv = unaccepted_table(lines)
    obs["unaccepted table reserved"] = (
        None if rsv is None else f"[{rsv[0]:#x}-{rsv[1]:#x}) for a table at "
        + (f"{addr:#x}" if addr is not None else "?"))
    return obs


def sim_problems(obs, lines):
    """What a boot with simulated unaccepted memory must never show."""
    problems = []
    for _, row in SIM_ROWS[1:]:
        if obs.get(row):
            problems.append(f"{row}: {obs[row]}")
    if obs.get("sim: units accepted by the end") in (None, 0):
        problems.append("sim: nothing was accepted (is the simulation on?)")
    # The whole page range under the table must be reserved (0862438c9048):
    # the simulated table straddles a page boundary on purpose.
    addr, rsv = unaccepted_table(lines)
    if addr is None or rsv is None:
        problems.append("sim: no unaccepted table address or reservation in the log")
    else:
        # struct efi_unaccepted_memory: 24 bytes, then the bitmap.
        size = None
        for raw in lines:
            m = re.search(r"efi_unaccepted_sim: (\d+) units of", strip_ts(raw))
            if m:
                size = (int(m.group(1)) + 7) // 8
        if size is not None:
            first = addr // PAGE * PAGE
            last = (addr + 24 + size + PAGE - 1) // PAGE * PAGE
            if not (rsv[0] <= first and rsv[1] >= last):
                problems.append(f"sim: the table [{addr:#x}, {addr + 24 + size:#x}) is not "
                                f"covered by its reservation [{rsv[0]:#x}, {rsv[1]:#x})")
            if first // PAGE == (addr + 24 + size - 1) // PAGE:
                problems.append("sim: the table does not straddle a page boundary")
    return problems


# "Memory: available" is not in the ledger: it is nr_free_pages() when the
# line is printed (after deferred struct-page init), which depends on what
# other CPUs and kthreads hold at that moment: four boots of equalised
# images gave 944460K, 944460K (C) and 944688K, 944460K (Rust).  Every page
# is still accounted: reserved = physpages - totalram_pages, and MemTotal
# is totalram_pages at the end, both exact in the ledger.
#
# Rows that hold the images' own sizes: shown, and accounted for by the
# page ledger, not compared on their own.
IMAGE_ROWS = ("kernel image reserved (K)", "kernel image freed later (K)",
              "SMP alternatives freed")

# The page ledger: each figure, once the kernel image's own pages are taken
# out, must be equal.  sign * (image reserved) + sign2 * (image freed).
LEDGER = {
    "Memory: reserved (K)": (-1, 0),     # reserved - image == same
    "MemTotal (kB)": (+1, -1),           # MemTotal + image - freed == same
}

# Rows that must hold something in every variant: a row empty in all
# variants compares nothing.  The reason each must be non-empty:
REQUIRED = {
    "memblock RSRV_KERN regions":
        "efi_mem_reserve() of the BGRT image must leave an RSRV_KERN region",
    "EFI boot services freed":
        "efi_free_boot_services() must free boot services memory",
    "SMP alternatives freed":
        "the smp_locks initcall must free the section",
    "rust_bootmem sample":
        "the Rust sample (patch 0030) must print its summary",
}


# The second kernel of a kexec point (the same kernel, booted by
# kexec_file_load() from the first one's initramfs, on the
# kexec_enter_virtual_mode() path): rows that must hold something ...
REQUIRED_2ND = {
    "memblock RSRV_KERN regions":
        "the BGRT image the first kernel kept must be RSRV_KERN again",
    "SMP alternatives freed":
        "the smp_locks initcall must free the section",
    "rust_bootmem sample":
        "the Rust sample (patch 0030) must print its summary",
}
# ... and rows that must be empty, in every column.
FORBIDDEN_2ND = {
    "EFI boot services freed":
        "the kexec path frees no boot services memory: the regions the "
        "first kernel kept are passed on, still in use",
}
SECOND = "2nd kernel: "
FREEING_BS = "Freeing EFI boot services memory"


def split_kexec(lines):
    """(first kernel's lines, second kernel's lines) of a kexec point's
    serial log, split after the KEXEC_MARK line the first /init prints
    just before `kexec -e`; (lines, None) if it never got that far."""
    for i, raw in enumerate(lines):
        if raw.strip() == KEXEC_MARK:
            return lines[:i + 1], lines[i + 1:]
    return lines, None


def covered(regions, base, end):
    """Is [base, end] (inclusive) inside the union of regions
    [(base, end, ...)] (inclusive ends)?"""
    pos = base
    for b, e, *_ in sorted(regions):
        if b > pos:
            break
        if e >= pos:
            pos = e + 1
            if pos > end:
                return True
    return pos > end


BS_TYPES = ("0x3", "0x4")   # EFI_BOOT_SERVICES_CODE, EFI_BOOT_SERVICES_DATA


def kexec_observables(lines1, lines2):
    """What the second kernel kept of what the first one kept, as
    observables of the second kernel, and the problems: every RSRV_KERN
    region of the first kernel must be memblock-reserved in the second
    (its last memblock dump, before memblock_free_all()), and every boot
    services descriptor of the first kernel's runtime map (the map
    kexec_file_load() hands over) must be in the second's runtime map
    unchanged."""
    obs, problems = {}, []
    d1, d2 = memblock_dump(lines1), memblock_dump(lines2)
    rsv2 = d2["reserved"] if d2 else []
    kept = []
    for b, e, _, fl in (d1["reserved"] if d1 else []):
        if fl & 0x20:
            if covered(rsv2, b, e):
                kept.append(f"[{b:#x}-{e:#x}] reserved")
            else:
                kept.append(f"[{b:#x}-{e:#x}] NOT RESERVED")
                problems.append(f"the first kernel's RSRV_KERN region [{b:#x}-{e:#x}] "
                                "is not reserved in the second kernel")
    obs["1st kernel's RSRV_KERN regions"] = kept
    rt1, rt2 = section(lines1, "efi-runtime-map"), section(lines2, "efi-runtime-map")
    descs = []
    for l in rt1:
        if l.split()[:1] and l.split()[0] in BS_TYPES:
            if l in rt2:
                descs.append(l + " kept")
            else:
                descs.append(l + " MISSING")
                problems.append(f"the first kernel's boot services descriptor '{l}' "
                                "is not in the second kernel's runtime map")
    obs["1st kernel's boot services descriptors"] = descs
    pages = [int(l.split()[2], 16) for l in rt2
             if len(l.split()) > 2 and l.split()[0] in BS_TYPES]
    obs["boot services regions kept (K)"] = (sum(pages) * 4 if rt2 else None)
    return obs, problems


def second_kernel_problems(lines2, obs2):
    """Problems of a second kernel that check_log() and REQUIRED_2ND do not
    see: anything in FORBIDDEN_2ND, and a boot services free in its
    kernel messages."""
    problems = []
    for key, why in FORBIDDEN_2ND.items():
        if not empty(obs2.get(key)):
            problems.append(f"{key}: {obs2[key]} ({why})")
    msgs = [strip_ts(l).strip() for l in lines2
            if re.match(r"^\[\s*\d+\.\d+\]", l) and FREEING_BS in l]
    if msgs:
        problems.append(f"kernel message '{msgs[0][:100]}' ({FORBIDDEN_2ND['EFI boot services freed']})")
    return problems


def ledger_value(obs, key):
    """obs[key] with the kernel image's own pages taken out (see LEDGER)."""
    a, b = LEDGER[key]
    img, freed = obs.get("kernel image reserved (K)"), obs.get("kernel image freed later (K)")
    if obs.get(key) is None or img is None or (b and freed is None):
        return None
    return obs[key] + a * img + b * (freed or 0)


def empty(v):
    return v is None or v == [] or v == ""


def compare(key, a, b, oa=None, ob=None, expected=None):
    """Verdict for one observable of two variants: (ok, verdict).

    Exact equality, except: a LEDGER row compares its value with the
    kernel image's pages taken out (oa/ob are the two observable dicts),
    and `expected` may give the exact difference it must then have
    ("ledger:+8": b has 8K more, no more, no less);
    an IMAGE_ROWS row is accounted by the ledger; a row empty in both
    variants fails unless `expected` lists it as "absent"; a difference
    passes only if `expected` lists the row as "any".
    """
    expected = expected or {}
    kind, why = expected.get(key, (None, None))
    if empty(a) and empty(b):
        if kind == "absent":
            return True, f"absent in both (expected: {why})"
        return False, "ABSENT in both: compares nothing"
    if key in IMAGE_ROWS:
        return True, "image size (in the ledger)"
    if key in LEDGER:
        la, lb = ledger_value(oa or {}, key), ledger_value(ob or {}, key)
        if la is None or lb is None:
            return False, "DIFFERS: ledger incomplete (no image size)"
        if la == lb and not (kind or "").startswith("ledger:"):
            return True, ("equal" if a == b else
                          f"equal with the image taken out ({la}K)")
        if kind and kind.startswith("ledger:") and lb - la == int(kind[7:]):
            return True, f"{lb - la:+d}K with the image taken out (expected: {why})"
        return False, f"DIFFERS by {lb - la:+d}K with the image taken out"
    if a == b:
        return True, "equal"
    if kind == "any":
        return True, f"differs (expected: {why})"
    return False, "DIFFERS"


def short(v):
    if v is None:
        return "none"
    if isinstance(v, list):
        h = hashlib.sha256("\n".join(v).encode()).hexdigest()[:8]
        return f"{len(v)} lines #{h}"
    return str(v)


# ---------------------------------------------------------------------- ab

def load_expected(path=EXPECTED):
    """{observable: (kind, reason)} from an expected-differences file."""
    exp = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = [p.strip() for p in line.split("|")]
                if (len(parts) != 3 or not parts[2] or
                        not re.fullmatch(r"any|absent|ledger:[+-]\d+", parts[1])):
                    sys.exit(f"{path}: bad line (want 'name | any|absent|ledger:+N | reason'): {line}")
                exp[parts[0]] = (parts[1], parts[2])
    return exp


def record(results, name, ok, detail=""):
    results.append((name, ok, detail))


def analyse(variant, lines, path, results, pname, required, end=POWER_DOWN,
            not_required=(), label=""):
    """Check one kernel's part of a boot log (lines, also written to path
    for kunit.py) and record its KUnit cases; label ("2nd kernel ")
    names the second kernel of a kexec point in the results."""
    ok_k, suites, ktext = kunit_results(path)
    problems = check_log(lines, end)
    ntests = sum(sum(c.values()) for _, c in suites)
    stock = variant == "stock"
    if not suites and not stock:
        problems.append("no KUnit results in the log")
    if not ok_k and not stock:
        failed = [f"{suite}.{case}" for suite, cases in case_status.items()
                  for case, st in cases if st in ("fail", "error")]
        problems.append("kunit.py parse reports failures"
                        + (": " + ", ".join(failed) if failed else ""))
    cases = {}
    for name, _ in suites:
        cases[name] = list(case_status.get(name, []))
        for case, st in cases[name]:
            if st != "skip":
                record(results, f"kunit {variant} {pname} {label}{name}.{case}",
                       st == "pass", "" if st == "pass" else st)
    obs = observables(lines)
    if any(k.startswith("sim: ") for k in obs):
        problems += sim_problems(obs, lines)
    for key, why in required.items():
        if key in not_required:
            continue
        if not stock and empty(obs.get(key)):
            problems.append(f"{key}: none ({why})")
    return {"log": path, "suites": suites, "cases": cases, "problems": problems,
            "ntests": ntests, "ktext": ktext, "lines": lines, "obs": obs}


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def boot_and_check(variant, mem, smp, append, results, image=None, point=None):
    """Boot one variant at one point and check it.  At a kexec point the
    result describes the first kernel and holds the second one's under
    "second" (None if there was none)."""
    point = point or {}
    tag = f"{variant}-{point['name']}" if point else None
    pname = point.get("name", f"{mem} smp{smp}")
    initrd = None
    if point.get("kexec"):
        initrd = build_kexec_initramfs(variant, image or built_image(variant))
    path, wall, timed_out = boot(variant, mem, smp, append, image=image, tag=tag,
                                 machine=point.get("machine", "q35"),
                                 extra=point.get("qemu", ()), initrd=initrd)
    lines = read_log(path)
    if not point.get("kexec"):
        r = analyse(variant, lines, path, results, pname, REQUIRED,
                    not_required=point.get("not_required", ()))
        if timed_out:
            r["problems"].insert(0, "QEMU timed out")
        record(results, f"boot {variant} {pname}", not r["problems"],
               "; ".join(r["problems"]))
        r["wall"] = r["wall1"] = wall
        return r
    # kexec: the first kernel ends at KEXEC_MARK, the second one's log
    # follows.  Each part is parsed on its own (kunit.py, observables).
    first, second = split_kexec(lines)
    base = path[:-len(".log")]
    write_lines(base + "-1st.log", first)
    r = analyse(variant, first, base + "-1st.log", results, pname, REQUIRED,
                end=KEXEC_MARK, not_required=point.get("not_required", ()))
    if timed_out:
        r["problems"].insert(0, "QEMU timed out")
    r["wall"] = wall
    record(results, f"boot {variant} {pname}", not r["problems"],
           "; ".join(r["problems"]))
    if second is None:
        r2 = {"problems": ["no second kernel: the first one never ran kexec -e"],
              "suites": [], "cases": {}, "obs": {}, "lines": [], "ntests": 0,
              "log": None, "ktext": ""}
    else:
        write_lines(base + "-2nd.log", second)
        r2 = analyse(variant, second, base + "-2nd.log", results, pname,
                     REQUIRED_2ND, label=SECOND)
        kobs, kproblems = kexec_observables(first, second)
        r2["obs"].update(kobs)
        r2["problems"] += second_kernel_problems(second, r2["obs"])
        if variant != "stock":
            r2["problems"] += kproblems
    record(results, f"boot {variant} {pname} {SECOND.rstrip(': ')}", not r2["problems"],
           "; ".join(r2["problems"]))
    r["second"] = r2
    return r


def cmd_boot(args):
    results = []
    r = boot_and_check(args.variant, args.mem, args.smp, args.append, results)
    log(f"boot {args.variant}: {r['wall']:.1f} s, log {os.path.relpath(r['log'], TOP)}")
    for name, c in r["suites"]:
        log(f"  kunit {name}: {c['pass']} passed, {c['fail']} failed, "
            f"{c['error']} crashed, {c['skip']} skipped")
    for p in r["problems"]:
        log("  FAIL: " + p)
    if r["problems"]:
        log(r["ktext"][-3000:])
    return 1 if r["problems"] else 0


def kunit_summary(cases):
    if cases is None:
        return "absent"
    n = len(cases)
    p = sum(1 for _, st in cases if st == "pass")
    sk = sum(1 for _, st in cases if st == "skip")
    return f"{p}/{n} passed" + (f", {sk} skip" if sk else "")


def ab_variants():
    """The columns: stock 6.12 (if built and AB_STOCK is not 0), C, Rust."""
    vs = ["c", "rust"]
    if (os.environ.get("AB_STOCK", "1") != "0" and not os.environ.get("SANITIZE")
            and os.path.exists(built_image("stock"))):
        vs.insert(0, "stock")
    return vs


# The boot matrix (make ab MATRIX=full).  A point: QEMU machine, memory,
# CPUs, extra kernel command line and QEMU arguments, and the REQUIRED rows
# it cannot show (e.g. efi=debug frees nothing).  Names are unique; an
# expected-differences line "observable @name | ..." applies to that point
# only and comes before the general line.
NOFREE = ("EFI boot services freed",)
# kexec: the first kernel boots as at q35-1G-smp2 (with a larger initrd:
# kexec, its libraries, the bzImage), then kexec_file_load()s itself; the
# second kernel is checked with REQUIRED_2ND and FORBIDDEN_2ND and
# compared as "2nd kernel: ..." rows.
KEXEC_POINT = dict(name="q35-1G-smp2-kexec", mem="1G", smp=2, kexec=True)
# Simulated unaccepted memory (CONFIG_EFI_UNACCEPTED_MEMORY_SIM): the EFI
# stub treats conventional memory above 256 MiB as unaccepted, so the real
# lazy paths run, with the simulated accept's checks.  C and Rust only:
# stock 6.12 has no simulation (it would boot a different machine).
SIM_BASE = os.environ.get("SIM_BASE") or "256M"
SIM_POINT = dict(name="q35-1G-smp2-sim-lazy", mem="1G", smp=2, sim=True,
                 append=f"efi_unaccepted_sim={SIM_BASE} accept_memory=lazy")
MATRIX = {
    "check": [
        dict(name="q35-1G-smp2", mem="1G", smp=2),
        KEXEC_POINT,
        SIM_POINT,
    ],
    "full": [
        dict(name="q35-1G-smp2", mem="1G", smp=2),
        dict(name="q35-512M-smp1", mem="512M", smp=1),
        dict(name="q35-2G-smp2", mem="2G", smp=2),
        dict(name="q35-4G-smp4", mem="4G", smp=4),
        dict(name="q35-8G-smp2", mem="8G", smp=2),
        dict(name="pc-1G-smp2", machine="pc", mem="1G", smp=2),
        dict(name="pc-2G-smp1", machine="pc", mem="2G", smp=1),
        dict(name="pc-4G-smp4", machine="pc", mem="4G", smp=4),
        dict(name="q35-1G-smp2-efi-debug", mem="1G", smp=2, append="efi=debug",
             not_required=NOFREE),
        dict(name="q35-4G-smp2-efi-debug", mem="4G", smp=2, append="efi=debug",
             not_required=NOFREE),
        # No runtime services: no SetVirtualAddressMap, so no unmap and no
        # free stage, in stock as in the design; nothing reaches
        # efi_mem_reserve() either.
        dict(name="q35-1G-smp2-efi-noruntime", mem="1G", smp=2,
             append="efi=noruntime",
             not_required=NOFREE + ("memblock RSRV_KERN regions",)),
        dict(name="q35-1G-smp2-novga", mem="1G", smp=2, qemu=("-vga", "none")),
        dict(name="q35-1G-smp4-novga", mem="1G", smp=4, qemu=("-vga", "none")),
        # mem= below the boot services regions (at the top of the low RAM).
        dict(name="q35-1G-smp2-mem768M", mem="1G", smp=2, append="mem=768M"),
        # Someone else's reservations inside boot services regions.
        dict(name="q35-1G-smp2-memmap", mem="1G", smp=2,
             append="memmap=64K$0x3e200000 memmap=8K$0x3ec00000"),
        dict(name="q35-2G-smp1-memmap", mem="2G", smp=1,
             append="memmap=1M$0x7e200000"),
        KEXEC_POINT,
        SIM_POINT,
        dict(SIM_POINT, name="q35-4G-smp2-sim-eager", mem="4G",
             append=f"efi_unaccepted_sim={SIM_BASE} accept_memory=eager"),
    ],
    # The kexec point alone (make ab MATRIX=kexec).
    "kexec": [KEXEC_POINT],
    # The simulated unaccepted memory point alone (make ab MATRIX=sim).
    "sim": [SIM_POINT],
}


def matrix_points(args):
    """The points to boot: MATRIX=check|full, or AB_CONFIGS='MEM:SMP ...'
    (q35, for quick runs by hand)."""
    if os.environ.get("AB_CONFIGS") and not os.environ.get("MATRIX"):
        return [dict(name=f"q35-{m}-smp{c}", mem=m, smp=int(c))
                for m, c in (x.split(":") for x in args.configs.split())]
    name = os.environ.get("MATRIX") or "check"
    if name not in MATRIX:
        sys.exit(f"ab: MATRIX must be one of {', '.join(MATRIX)}")
    return MATRIX[name]


def for_point(expected, name):
    """expected-differences with "observable @name" lines applied."""
    out = {k: v for k, v in expected.items() if "@" not in k}
    for k, v in expected.items():
        if k.endswith(" @" + name):
            out[k[:-len(" @" + name)]] = v
    return out


def compare_kernel(results, pname, runs, variants, expected, expected_stock,
                   prefix=""):
    """The A/B rows of one kernel of a point: KUnit suites, then every
    observable, C vs Rust (exact) and stock vs C (listed).  runs:
    {variant: analysis}; prefix ("2nd kernel: ") names the rows of a
    kexec point's second kernel, and only expected-differences lines
    naming a row with that prefix apply to them.  Returns True if all
    passed."""
    if prefix:
        expected = {k[len(prefix):]: v for k, v in expected.items() if k.startswith(prefix)}
        expected_stock = {k[len(prefix):]: v for k, v in expected_stock.items()
                          if k.startswith(prefix)}
    c, r = runs["c"], runs["rust"]
    s = runs.get("stock")
    stock = s is not None
    w, cw = 40, 22
    good = True
    for name in sorted(set(c["cases"]) | set(r["cases"])):
        ca, cb = c["cases"].get(name), r["cases"].get(name)
        kind, why = expected.get("kunit " + name, (None, None))
        if ca == cb:
            verdict, ok = "equal", True
        elif kind == "any":
            verdict, ok = f"differs (expected: {why})", True
        else:
            verdict, ok = "DIFFERS", False
        col = (f"{kunit_summary(s['cases'].get(name)):>{cw}} " if stock else "")
        log(f"{prefix + 'kunit ' + name:{w}} {col}{kunit_summary(ca):>{cw}} "
            f"{kunit_summary(cb):>{cw}}  {verdict}")
        record(results, f"ab {pname} {prefix}kunit {name}", ok, verdict)
        good &= ok
    oc, orr = c["obs"], r["obs"]
    for key in oc:
        a, b = oc[key], orr.get(key)
        ok, verdict = compare(key, a, b, oc, orr, expected)
        record(results, f"ab {pname} {prefix}{key}", ok, verdict)
        col, sv = "", ""
        if stock:
            os_ = s["obs"]
            sok, sv = compare(key, os_.get(key), a, os_, oc, expected_stock)
            record(results, f"ab {pname} {prefix}stock-vs-C {key}", sok, sv)
            col = f"{short(os_.get(key)):>{cw}} "
            sv = "  |  " + shorten(sv)
            good &= sok
        log(f"{prefix + key:{w}} {col}{short(a):>{cw}} {short(b):>{cw}}  {shorten(verdict)}{sv}")
        if not ok:
            good = False
            if isinstance(a, list) and isinstance(b, list):
                for d in difflib.unified_diff(a, b, "C", "Rust", lineterm="", n=1):
                    log("    " + d)
        if stock and not sok and isinstance(a, list) and isinstance(s["obs"].get(key), list):
            for d in difflib.unified_diff(s["obs"][key], a, "stock", "C",
                                          lineterm="", n=1):
                log("    " + d)
    return good


def cmd_ab(args):
    results = []
    expected_all = load_expected()
    expected_stock_all = load_expected(EXPECTED_STOCK)
    failed = False
    variants = ab_variants()
    images = equalised_images(variants)
    stock = "stock" in variants
    summary = []
    for point in matrix_points(args):
        mem, smp = point["mem"], point["smp"]
        append = " ".join(x for x in (point.get("append", ""), args.append) if x)
        expected = for_point(expected_all, point["name"])
        expected_stock = for_point(expected_stock_all, point["name"])
        runs = {}
        pvariants = [v for v in variants if not (v == "stock" and point.get("sim"))]
        for v in pvariants:
            runs[v] = boot_and_check(v, mem, int(smp), append, results,
                                     image=images[v], point=point)
        c, r = runs["c"], runs["rust"]
        log("")
        log(f"== A/B {point['name']}: QEMU {point.get('machine', 'q35')} TCG, OVMF, "
            f"-m {mem} -smp {smp}{' ' + ' '.join(point.get('qemu', ())) if point.get('qemu') else ''}"
            f"{', ' + append if append else ''}"
            f"{', then kexec_file_load() of the same kernel' if point.get('kexec') else ''}"
            "; images padded to one length and SizeOfImage ==")
        w, cw = 40, 22
        head = f"{'':{w}} " + (f"{'stock 6.12':>{cw}} " if "stock" in runs else "")
        log(head + f"{'C':>{cw}} {'Rust':>{cw}}  C vs Rust"
            + ("  |  stock vs C" if "stock" in runs else ""))
        failed |= not compare_kernel(results, point["name"], runs, pvariants,
                                     expected, expected_stock)
        summary.append((point["name"], {v: runs[v]["obs"] for v in pvariants},
                        {v: not runs[v]["problems"] for v in pvariants}))
        if point.get("kexec"):
            seconds = {v: runs[v]["second"] for v in variants}
            failed |= not compare_kernel(results, point["name"], seconds, variants,
                                         expected, expected_stock, prefix=SECOND)
            summary.append((point["name"] + " (2nd)",
                            {v: seconds[v]["obs"] for v in variants},
                            {v: not seconds[v]["problems"] for v in variants}))
        walls = " ".join(f"{runs[v]['wall']:.1f}s" for v in pvariants)
        log(f"{'boot wall time':{w}} {walls}  (ratio Rust/C {r['wall'] / c['wall']:.2f})")
        for v in pvariants:
            for p in runs[v]["problems"]:
                log(f"{v}: FAIL: {p}")
                failed = True
            for p in (runs[v].get("second") or {}).get("problems", ()):
                log(f"{v}: 2nd kernel: FAIL: {p}")
                failed = True
    write_results(results, "ab")
    if len(summary) > 1:
        log("")
        log("== per point: EFI boot services freed, RSRV_KERN regions, runtime-map entries ==")
        log(f"{'point':28} " + " ".join(f"{v:>26}" for v in variants))
        for name, obs, ok in summary:
            def cell(o, good):
                freed = o.get("EFI boot services freed") or "none"
                kern = len(o.get("memblock RSRV_KERN regions") or [])
                rt = len(o.get("EFI runtime map") or [])
                kept = o.get("boot services regions kept (K)")
                return (f"{freed} {kern}k {rt}rt{'' if kept is None else f' {kept}Kbs'}"
                        f"{'' if good else ' FAIL'}")
            log(f"{name:28} " + " ".join(
                f"{cell(obs[v], ok[v]) if v in obs else 'n/a':>26}" for v in variants))
    log("")
    log("make ab: " + ("FAILED: unexpected difference or failed boot"
                       if failed else "OK: C and Rust agree" +
                       ("; every stock difference is listed" if stock else "")))
    return 1 if failed else 0


def shorten(verdict, n=60):
    """A verdict for the table: the reason of an expected difference is
    in the expected-differences file, the table shows its start."""
    return verdict if len(verdict) <= n else verdict[:n - 3] + "..."


def write_results(results, name):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name + ".txt"), "w") as f:
        for n, ok, d in results:
            f.write(f"{'PASS' if ok else 'FAIL'} {n}{(' -- ' + d) if d and not ok else ''}\n")


# ---------------------------------------------------------------- make sim

def init_start(lines):
    """Seconds from kernel start to init's first line (/proc/uptime)."""
    for raw in lines:
        m = re.match(r"\s*bootmem-rs: init start (\d+\.\d+)", raw)
        if m:
            return float(m.group(1))
    return None


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def cmd_sim(args):
    """make sim: boot C and Rust with simulated unaccepted memory, lazy and
    eager, at several sizes, several boots each; print the table."""
    sizes = (os.environ.get("SIM_SIZES") or "1G 4G 8G").split()
    boots = int(os.environ.get("SIM_BOOTS") or 3)
    smp = int(os.environ.get("SMP") or 2)
    delay = os.environ.get("SIM_DELAY_US")
    variants = ["c", "rust"]
    images = equalised_images(variants)
    rows = {}
    failed = False
    results = []
    for mem in sizes:
        for mode in ("lazy", "eager"):
            for v in variants:
                for i in range(boots):
                    append = (f"efi_unaccepted_sim={SIM_BASE} accept_memory={mode} "
                              "kunit.enable=0"
                              + (f" efi_unaccepted_sim_delay={delay}" if delay else ""))
                    tag = f"sim-{v}-{mem}-{mode}-{i}"
                    path, wall, timed_out = boot(v, mem, smp, append, image=images[v],
                                                 tag=tag)
                    lines = read_log(path)
                    obs = observables(lines)
                    problems = check_log(lines) + sim_problems(obs, lines)
                    if timed_out:
                        problems.insert(0, "QEMU timed out")
                    name = f"sim {v} {mem} {mode} boot {i + 1}"
                    record(results, name, not problems, "; ".join(problems))
                    for p_ in problems:
                        log(f"{name}: FAIL: {p_}")
                    failed |= bool(problems)
                    rows.setdefault((mem, mode, v), []).append({
                        "t": init_start(lines), "wall": wall,
                        "init": obs.get("sim: units accepted by init"),
                        "end": obs.get("sim: units accepted by the end"),
                        "unacc": obs.get("Unaccepted at the end (kB)"),
                        "double": obs.get("sim: double accepts"),
                        "uba": obs.get("sim: pages used before accept"),
                        "ok": not problems})
                    log(f"{name}: init at {init_start(lines)} s, "
                        f"{obs.get('sim: units accepted by init')} units by init, "
                        f"{obs.get('sim: units accepted by the end')} by the end, "
                        f"Unaccepted {obs.get('Unaccepted at the end (kB)')} kB, "
                        f"wall {wall:.1f} s")
    write_results(results, "sim")
    log("")
    log(f"== make sim: QEMU q35 TCG, OVMF, -smp {smp}, efi_unaccepted_sim={SIM_BASE}, "
        f"{boots} boots per cell, accept delay "
        f"{delay + ' us' if delay else 'default (1300 us)'} per 2 MiB unit; "
        "medians; time = kernel start to init's first line ==")
    hdr = (f"{'size':>5} {'mode':>5} {'var':>4} {'ok':>5} {'init (s)':>9} {'units@init':>10} "
           f"{'units@end':>9} {'Unaccepted kB':>13} {'double':>6} {'use<acc':>7}")
    log(hdr)

    def fmt(x, f="{}"):
        return "-" if x is None else f.format(x)
    for mem in sizes:
        for mode in ("lazy", "eager"):
            for v in variants:
                rs = rows[(mem, mode, v)]
                ok = sum(r["ok"] for r in rs)
                log(f"{mem:>5} {mode:>5} {v:>4} {f'{ok}/{len(rs)}':>5} "
                    f"{fmt(median([r['t'] for r in rs]), '{:.2f}'):>9} "
                    f"{fmt(median([r['init'] for r in rs]), '{:.0f}'):>10} "
                    f"{fmt(median([r['end'] for r in rs]), '{:.0f}'):>9} "
                    f"{fmt(median([r['unacc'] for r in rs]), '{:.0f}'):>13} "
                    f"{sum(r['double'] or 0 for r in rs):>6} {sum(r['uba'] or 0 for r in rs):>7}")
    log("")
    log(f"{'size':>5} {'eager/lazy C':>13} {'eager/lazy Rust':>16} "
        f"{'Rust/C lazy':>12} {'Rust/C eager':>13}")

    def t(mem, mode, v):
        return median([r["t"] for r in rows[(mem, mode, v)]])

    def ratio(a, b):
        return "-" if a is None or b is None or not b else f"{a / b:.2f}"
    for mem in sizes:
        log(f"{mem:>5} {ratio(t(mem, 'eager', 'c'), t(mem, 'lazy', 'c')):>13} "
            f"{ratio(t(mem, 'eager', 'rust'), t(mem, 'lazy', 'rust')):>16} "
            f"{ratio(t(mem, 'lazy', 'rust'), t(mem, 'lazy', 'c')):>12} "
            f"{ratio(t(mem, 'eager', 'rust'), t(mem, 'eager', 'c')):>13}")
    log("")
    log("make sim: " + ("FAILED (see above)" if failed else
                        "OK: no double accept, no use before accept, every boot clean"))
    return 1 if failed else 0


UNMAP_TIME = re.compile(r"efi_unmap_boot_services\(\) took (\d+) ns")
FREE_TIME = re.compile(r"efi_free_boot_services\(\) took (\d+) ns")


def phase_times(lines):
    """(unmap ns, free ns) from a boot with initcall_debug: the times
    efi_unmap_boot_services() and efi_free_boot_services() took, by
    local_clock() (patches/0035)."""
    text = "\n".join(section(lines, "boot-timing"))
    unmap, free = UNMAP_TIME.search(text), FREE_TIME.search(text)
    return (int(unmap.group(1)) if unmap else None,
            int(free.group(1)) if free else None)


def cmd_bench_boot(args):
    """make bench-boot: the in-kernel time of the unmap and the free phase
    of the boot services work, C and Rust, BENCH_BOOTS boots each (taken in
    turns, so that drift of the machine hits both), with initcall_debug.
    A benchmark: it fails only if a boot is not clean or reports no time."""
    boots = int(os.environ.get("BENCH_BOOTS") or 5)
    mem = os.environ.get("MEM") or "1G"
    smp = int(os.environ.get("SMP") or 2)
    variants = ["c", "rust"]
    images = equalised_images(variants)
    # initcall_debug's own lines are KERN_DEBUG: they stay in the log
    # buffer (the dump greps the two times from there), off the console.
    append = "initcall_debug kunit.enable=0"
    # BENCH_ICOUNT=N: QEMU's -icount shift=N, where the guest's clock
    # advances with the instructions it executes (2^N ns each) instead of
    # the host's time: the phases' times become instruction counts,
    # repeatable to the instruction, free of the host's noise.
    icount = os.environ.get("BENCH_ICOUNT")
    extra = ("-icount", f"shift={int(icount)},sleep=off") if icount else ()
    times = {(v, ph): [] for v in variants for ph in ("unmap", "free")}
    failed = False
    for i in range(boots):
        for v in (variants if i % 2 == 0 else variants[::-1]):
            path, wall, timed_out = boot(v, mem, smp, append, image=images[v],
                                         tag=f"bench-{v}-{mem}-smp{smp}-{i}",
                                         extra=extra)
            lines = read_log(path)
            problems = check_log(lines)
            if timed_out:
                problems.insert(0, "QEMU timed out")
            unmap, free = phase_times(lines)
            if unmap is None or free is None:
                problems.append("no unmap/free time in the log (patches/0035, initcall_debug)")
            for p_ in problems:
                log(f"bench-boot {v} boot {i + 1}: FAIL: {p_}")
            failed |= bool(problems)
            times[(v, "unmap")].append(unmap)
            times[(v, "free")].append(free)
            log(f"bench-boot {v} boot {i + 1}: unmap {unmap} ns, free {free} ns, "
                f"wall {wall:.1f} s")

    def us(x):
        return "-" if x is None else f"{x / 1000:.0f}"

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b else "-"
    out = [f"== make bench-boot: QEMU q35 TCG, OVMF, -m {mem} -smp {smp}, {boots} boots "
           "per variant in turns; in-kernel time by local_clock(), microseconds ==",
           f"{'phase':<34} {'C min':>7} {'C median':>9} {'Rust min':>9} {'Rust median':>12} "
           f"{'Rust/C min':>11} {'Rust/C median':>14}"]
    names = {"unmap": "unmap: efi_unmap_boot_services()",
             "free": "free: efi_free_boot_services()"}
    for ph in ("unmap", "free"):
        c = [x for x in times[("c", ph)] if x is not None]
        r = [x for x in times[("rust", ph)] if x is not None]
        cmin, rmin = (min(c) if c else None), (min(r) if r else None)
        mc, mr = median(c), median(r)
        out.append(f"{names[ph]:<34} {us(cmin):>7} {us(mc):>9} {us(rmin):>9} {us(mr):>12} "
                   f"{ratio(rmin, cmin):>11} {ratio(mr, mc):>14}")
    out.append("per boot (us), C: " + "; ".join(
        f"{ph} " + " ".join(us(x) for x in times[("c", ph)]) for ph in ("unmap", "free")))
    out.append("per boot (us), Rust: " + "; ".join(
        f"{ph} " + " ".join(us(x) for x in times[("rust", ph)]) for ph in ("unmap", "free")))
    log("")
    for line in out:
        log(line)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "bench-boot.txt"), "w") as f:
        f.write("\n".join(out) + "\n")
    log("make bench-boot: " + ("FAILED (see above)" if failed else "every boot clean"))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("initramfs")
    sub.add_parser("sim")
    sub.add_parser("bench-boot")
    b = sub.add_parser("boot")
    b.add_argument("variant", choices=("c", "rust"))
    b.add_argument("--mem", default=os.environ.get("MEM") or "1G")
    b.add_argument("--smp", type=int, default=int(os.environ.get("SMP") or 2))
    b.add_argument("--append", default=os.environ.get("APPEND", ""))
    a = sub.add_parser("ab")
    a.add_argument("--configs", default=os.environ.get("AB_CONFIGS") or "1G:2",
                   help="space-separated MEM:SMP QEMU configurations")
    a.add_argument("--append", default=os.environ.get("APPEND", ""))
    args = ap.parse_args()
    if args.cmd == "initramfs":
        log(build_initramfs())
        return 0
    if args.cmd == "boot":
        return cmd_boot(args)
    if args.cmd == "sim":
        return cmd_sim(args)
    if args.cmd == "bench-boot":
        return cmd_bench_boot(args)
    return cmd_ab(args)


if __name__ == "__main__":
    sys.exit(main())
