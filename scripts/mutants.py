#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make mutants: break the Rust on purpose, require a test to catch it.

For each mutant of tools/testing/mutants/mutants.py:
  1. apply it to a scratch copy of the repository (build/mutants/src);
  2. run the host tests there (scripts/check.sh host: cargo tests, the
     host differential tests, which build the same .rs files);
  3. install the scratch overlay into the kernel tree, rebuild the Rust
     kernel incrementally in build/out-mutant (a copy of build/out-rust),
     and run the A/B (C against the mutated Rust) `boots` times.
A mutant is caught when a host test, a KUnit case or an A/B row fails; the
table at the end says what caught each one.  Exits 1 if any survived.
The kernel tree gets the real overlay back at the end (also on errors).

  scripts/mutants.py [NAME ...]     only these mutants
  MUTANTS_HOST=0                    skip the host tests (kernel only)
"""

import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
KDIR = os.environ.get("KDIR") or os.path.join(BUILD, "linux")
SCRATCH = os.path.join(BUILD, "mutants", "src")
OUT = os.path.join(BUILD, "out-mutant")
LOGS = os.path.join(BUILD, "logs", "mutants")
sys.path.insert(0, os.path.join(TOP, "tools", "testing", "mutants"))
from mutants import MUTANTS  # noqa: E402


def log(msg):
    print(msg, flush=True)


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                         cwd=TOP, check=True, capture_output=True).stdout
    return [f for f in out.decode().split("\0") if f and os.path.isfile(os.path.join(TOP, f))]


def sync_scratch():
    """Make the scratch copy equal to the repository (build/ excluded);
    files whose content is unchanged are not touched, so builds there stay
    incremental."""
    for f in tracked_files():
        src, dst = os.path.join(TOP, f), os.path.join(SCRATCH, f)
        with open(src, "rb") as a:
            data = a.read()
        try:
            with open(dst, "rb") as b:
                if b.read() == data:
                    continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        # A fresh mtime: a file restored after a mutant must look newer
        # than the build that used the mutant, or cargo keeps that build.
        shutil.copyfile(src, dst)
        shutil.copymode(src, dst)


def apply(m):
    path = os.path.join(SCRATCH, m["file"])
    with open(path) as f:
        text = f.read()
    n = text.count(m["old"])
    if n != 1:
        sys.exit(f"mutants: {m['name']}: the text to replace occurs {n} times in "
                 f"{m['file']} (want 1): update tools/testing/mutants/mutants.py")
    with open(path, "w") as f:
        f.write(text.replace(m["old"], m["new"]))


def sh(cmd, logname, env=None, cwd=None):
    os.makedirs(LOGS, exist_ok=True)
    path = os.path.join(LOGS, logname)
    e = dict(os.environ)
    e.update(env or {})
    with open(path, "w") as f:
        rc = subprocess.run(cmd, cwd=cwd or SCRATCH, env=e, stdout=f,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    return rc, path


def fails(results_file):
    try:
        with open(results_file) as f:
            return [l[5:].split(" -- ")[0].strip() for l in f if l.startswith("FAIL ")]
    except OSError:
        return []


def host_catchers(m):
    if os.environ.get("MUTANTS_HOST", "1") == "0":
        return None
    rc, path = sh(["scripts/check.sh", "host"], f"{m['name']}-host.log",
                  env={"KDIR": KDIR})
    got = fails(os.path.join(SCRATCH, "build", "results", "host.txt"))
    if rc != 0 and not got:
        got = [f"check.sh host exit {rc}"]
    return got


def install_overlay(src_top):
    rc, path = sh([os.path.join(src_top, "scripts", "prepare-tree.sh"), KDIR],
                  "prepare-tree.log", cwd=src_top)
    if rc != 0:
        sys.exit(f"mutants: prepare-tree failed, see {path}")


def kernel_catchers(m):
    install_overlay(SCRATCH)
    rc, path = sh(["scripts/kbuild.sh", "build", "rust", KDIR],
                  f"{m['name']}-build.log",
                  env={"KBUILD_OUT": OUT, "BOOTMEM_RS_LINT_GATE": "0",
                       "BOOTMEM_RS_BINDGEN": os.path.join(BUILD, "tools", "bin", "bindgen"),
                       "CCACHE_DIR": os.path.join(BUILD, "ccache")})
    if rc != 0:
        return None, f"BUILD FAILED (see {os.path.relpath(path, TOP)})"
    caught = []
    for i in range(m.get("boots", 1)):
        rc, path = sh([sys.executable, "scripts/bootmem_ab.py", "ab"],
                      f"{m['name']}-ab{i + 1}.log",
                      env={"KDIR": KDIR, "AB_OUT_C": os.path.join(BUILD, "out-c"),
                           "AB_OUT_RUST": OUT, "AB_STOCK": "0"})
        got = fails(os.path.join(SCRATCH, "build", "results", "ab.txt"))
        # Keep the boot logs: a failure of the unmutated C is worth a look.
        for v in ("c", "rust"):
            src = os.path.join(SCRATCH, "build", "logs", f"boot-{v}-q35-1G-smp2.log")
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(LOGS, f"{m['name']}-ab{i + 1}-{v}.log"))
        if rc != 0 and not got:
            got = [f"bootmem_ab.py exit {rc}"]
        caught.append(got)
    return caught, None


def summary(names, n=3):
    # KUnit case names are the most telling; then A/B rows.
    names = sorted(set(names), key=lambda s: (not s.startswith("kunit"), s))
    more = f" (+{len(names) - n} more)" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def main():
    want = set(sys.argv[1:])
    todo = [m for m in MUTANTS if not want or m["name"] in want]
    if want - {m["name"] for m in MUTANTS}:
        sys.exit(f"mutants: unknown: {' '.join(sorted(want - {m['name'] for m in MUTANTS}))}")
    for v in ("c", "rust"):
        if not os.path.exists(os.path.join(BUILD, f"out-{v}", "vmlinux")):
            sys.exit(f"mutants: build/out-{v} not built: run 'make kernels' first")
    os.makedirs(SCRATCH, exist_ok=True)
    if not os.path.exists(os.path.join(OUT, "vmlinux")):
        log("mutants: seeding build/out-mutant from build/out-rust")
        shutil.rmtree(OUT, ignore_errors=True)
        subprocess.run(["cp", "-a", os.path.join(BUILD, "out-rust"), OUT], check=True)
        try:
            os.unlink(os.path.join(OUT, ".bootmem-rs-config-stamp"))
        except OSError:
            pass
    rows = []
    start = time.monotonic()
    try:
        # Control: the unmutated scratch copy must pass the host tests, or
        # a failure below would prove nothing about the mutant.
        sync_scratch()
        control = host_catchers({"name": "control"})
        if control:
            sys.exit(f"mutants: the unmutated copy fails the host tests: {summary(control)}")
        if control is not None:
            log("== control (no mutant): host tests pass")
        for m in todo:
            t0 = time.monotonic()
            sync_scratch()
            apply(m)
            log(f"== mutant {m['name']}: {m['why']}")
            host = host_catchers(m)
            if host is not None:
                log(f"   host: {len(host)} failed" + (f": {summary(host)}" if host else ""))
            boots, err = kernel_catchers(m)
            if err:
                log(f"   kernel: {err}")
                boots = []
            for i, b in enumerate(boots):
                log(f"   A/B boot {i + 1}: {len(b)} failed" + (f": {summary(b)}" if b else ""))
            # Caught: something failed; and where a mutant is booted more
            # than once (a race), every boot must catch it, not just one.
            caught = (bool(host) or any(boots)) and (len(boots) <= 1 or all(boots))
            rows.append((m, host, boots, err, caught, time.monotonic() - t0))
    finally:
        sync_scratch()
        log("mutants: restoring the kernel tree's overlay")
        install_overlay(TOP)

    log("")
    log(f"{'mutant':26} {'host tests':>11} {'A/B boots':>10}  caught by")
    survived = 0
    for m, host, boots, err, caught, secs in rows:
        h = "-" if host is None else f"{len(host)} fail"
        b = err and "build err" or "/".join(str(len(x)) for x in boots) + " fail"
        by = []
        if host:
            by.append("host: " + summary(host, 2))
        if boots and all(boots):
            by.append(f"A/B in {len(boots)}/{len(boots)} boots: " +
                      summary([n for x in boots for n in x], 2))
        elif boots and any(boots):
            by.append(f"A/B in only {sum(1 for x in boots if x)}/{len(boots)} boots")
        if not caught:
            survived += 1
        log(f"{m['name']:26} {h:>11} {b:>10}  "
            f"{'; '.join(by) if caught else 'SURVIVED'}")
    log(f"mutants: {len(rows) - survived}/{len(rows)} caught, "
        f"{time.monotonic() - start:.0f} s")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
