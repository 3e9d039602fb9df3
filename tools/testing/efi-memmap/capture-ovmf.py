#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Capture OVMF's EFI memory map at every firmware configuration of the
boot matrix, as fixtures for the differential test (efi_memmap_diff).

The map is printed only with efi=debug, so each distinct (machine, memory,
QEMU arguments) of `make ab MATRIX=full` is booted once more, with the
equalised C image the A/B boots (build/boot/bzImage-c, so OVMF lays out
memory as it does for the A/B) and efi=debug; the first "efi: memNN:"
listing is written to fixtures/ovmf-<point>.txt.  Kernel command-line
options of the point (mem=, memmap=) do not change the firmware's map and
are left out.

  tools/testing/efi-memmap/capture-ovmf.py     (after make ab)
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "scripts"))
import bootmem_ab as ab  # noqa: E402


def version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                              capture_output=True, text=True).stdout or "?"
    except OSError:
        return "?"


def main():
    image = os.path.join(ab.BUILD, "boot", "bzImage-c")
    if not os.path.exists(image):
        sys.exit("capture-ovmf: no build/boot/bzImage-c: run make ab first")
    seen = set()
    for p in ab.MATRIX["full"]:
        machine, extra = p.get("machine", "q35"), tuple(p.get("qemu", ()))
        key = (machine, p["mem"], extra)
        if key in seen or "kexec" in p["name"]:
            continue
        seen.add(key)
        name = f"{machine}-{p['mem']}" + ("-novga" if "none" in extra else "")
        path, _, timed_out = ab.boot("c", p["mem"], p["smp"], "efi=debug",
                                     tag=f"capture-{name}", image=image,
                                     machine=machine, extra=extra)
        lines = []
        with open(path, errors="replace") as f:
            for line in f:
                if "EFI runtime memory map:" in line:
                    break
                m = re.search(r"efi: mem\d+: .*", line)
                if m:
                    lines.append(m.group(0).rstrip())
        if timed_out or not lines:
            sys.exit(f"capture-ovmf: {name}: no memory map in {path}")
        out = os.path.join(HERE, "fixtures", f"ovmf-{name.lower()}.txt")
        with open(out, "w") as f:
            f.write(f"# OVMF (Debian ovmf {version('ovmf')}) under QEMU (Debian "
                    f"qemu-system-x86 {version('qemu-system-x86')}), {machine}, "
                    f"-m {p['mem']}{' ' + ' '.join(extra) if extra else ''}, TCG;\n"
                    f"# captured by tools/testing/efi-memmap/capture-ovmf.py from this "
                    f"project's C kernel booted with efi=debug\n"
                    f"# (the firmware configuration of make ab MATRIX=full point "
                    f"{p['name']}); the first (full) listing, timestamps stripped.\n")
            f.write("\n".join(lines) + "\n")
        print(f"capture-ovmf: {os.path.relpath(out, TOP)}: {len(lines)} descriptors")


if __name__ == "__main__":
    main()
