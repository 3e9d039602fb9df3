#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the A/B comparison rules in scripts/bootmem_ab.py.

The A/B is only worth something if a one-page error fails it.  These
cases feed the rules the errors a broken port would make and require a
DIFFERS verdict; and the differences the rules must accept (the two
kernel images' own sizes) and require a pass.

    python3 tools/testing/ab/test_bootmem_ab.py -v
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "scripts"))
import bootmem_ab as ab  # noqa: E402

RSV = ["[0x3e5f2000-0x3e5f2fff] node 0 flags 0x0",
       "[0x3eb00000-0x3eb77fff] node 0 flags 0x20",
       "[0x3f000000-0x3fffffff] node 0 flags 0x0"]
RTMAP = ["5 0x3f6d0000 0x20 0x800000000000000f 0xfffffffeffc00000",
         "6 0x3f7a0000 0x40 0x800000000000000f 0xfffffffeff800000"]


def obs(**kw):
    """A boot's observables: a consistent C-like boot, with changes."""
    o = {
        "kernel image reserved (K)": 40960,
        "kernel image freed later (K)": 4096 + 1024 + 8,
        "Memory: total (K)": 1048048,
        "Memory: available (K)": 960000,
        "Memory: reserved (K)": 88048,
        "MemTotal (kB)": 960000 + 39628 + 5128,
        "EFI boot services freed": "39628K",
        "SMP alternatives freed": "8K",
        "memblock.reserved (outside kernel image)": list(RSV),
        "memblock RSRV_KERN regions": [RSV[1]],
        "EFI runtime map": list(RTMAP),
        "/sys/firmware/efi": ["config_table", "fw_platform_size", "runtime-map"],
    }
    o.update(kw)
    return o


def verdict(key, a, b, expected=None):
    return ab.compare(key, a[key], b[key], a, b, expected or {})


class ExactRows(unittest.TestCase):
    def test_equal_lists_pass(self):
        a = obs()
        self.assertTrue(verdict("memblock.reserved (outside kernel image)", a, obs())[0])

    def test_region_one_page_shorter_fails(self):
        b = list(RSV)
        b[1] = "[0x3eb00000-0x3eb76fff] node 0 flags 0x20"
        for key in ("memblock.reserved (outside kernel image)",):
            ok, v = verdict(key, obs(), obs(**{key: b}))
            self.assertFalse(ok, v)

    def test_region_moved_one_page_fails(self):
        b = ["[0x3e5f1000-0x3e5f1fff] node 0 flags 0x0"] + RSV[1:]
        ok, _ = verdict("memblock.reserved (outside kernel image)", obs(),
                        obs(**{"memblock.reserved (outside kernel image)": b}))
        self.assertFalse(ok)

    def test_freed_4k_more_or_less_fails(self):
        for other in ("39632K", "39624K"):
            ok, _ = verdict("EFI boot services freed", obs(),
                            obs(**{"EFI boot services freed": other}))
            self.assertFalse(ok, other)
            ok, _ = verdict("EFI boot services freed",
                            obs(**{"EFI boot services freed": other}), obs())
            self.assertFalse(ok, other)

    def test_changed_attribute_bit_fails(self):
        b = list(RTMAP)
        b[0] = b[0].replace("0x800000000000000f", "0x800000000000000e")
        ok, _ = verdict("EFI runtime map", obs(), obs(**{"EFI runtime map": b}))
        self.assertFalse(ok)

    def test_changed_num_pages_by_0x1000_fails(self):
        b = list(RTMAP)
        b[1] = b[1].replace(" 0x40 ", " 0x1040 ")
        ok, _ = verdict("EFI runtime map", obs(), obs(**{"EFI runtime map": b}))
        self.assertFalse(ok)

    def test_whole_map_shifted_one_page_fails(self):
        # The old "shift" tolerance accepted this; exact comparison must not.
        b = [l.replace("0x3f6d0000", "0x3f6cf000").replace("0x3f7a0000", "0x3f79f000")
             for l in RTMAP]
        ok, _ = verdict("EFI runtime map", obs(), obs(**{"EFI runtime map": b}))
        self.assertFalse(ok)

    def test_listed_any_difference_passes(self):
        exp = {"EFI runtime map": ("any", "a reason")}
        ok, v = verdict("EFI runtime map", obs(), obs(**{"EFI runtime map": []}), exp)
        self.assertTrue(ok, v)


class AbsentRows(unittest.TestCase):
    def test_absent_in_both_fails(self):
        for empty in (None, [], ""):
            ok, v = ab.compare("EFI runtime map", empty, empty, {}, {}, {})
            self.assertFalse(ok, v)

    def test_absent_in_both_listed_passes(self):
        exp = {"EFI runtime map": ("absent", "because")}
        ok, _ = ab.compare("EFI runtime map", [], [], {}, {}, exp)
        self.assertTrue(ok)

    def test_absent_in_one_fails(self):
        ok, _ = ab.compare("memblock RSRV_KERN regions", [RSV[1]], [], {}, {}, {})
        self.assertFalse(ok)

    def test_required_rows_are_named(self):
        for key in ("memblock RSRV_KERN regions", "EFI boot services freed"):
            self.assertIn(key, ab.REQUIRED)


class PageLedger(unittest.TestCase):
    """Every page accounted: the only difference allowed in the memory
    totals is the two images' own sizes."""

    def image_bigger(self, k, freed=0):
        """The same boot with a kernel image k KiB larger (freed KiB of it
        freed after boot)."""
        a = obs()
        return obs(**{
            "kernel image reserved (K)": a["kernel image reserved (K)"] + k,
            "kernel image freed later (K)": a["kernel image freed later (K)"] + freed,
            "Memory: available (K)": a["Memory: available (K)"] - k,
            "Memory: reserved (K)": a["Memory: reserved (K)"] + k,
            "MemTotal (kB)": a["MemTotal (kB)"] - k + freed,
        })

    def test_bigger_image_passes(self):
        a, b = obs(), self.image_bigger(8, freed=4)
        for key in ab.LEDGER:
            ok, v = verdict(key, a, b)
            self.assertTrue(ok, f"{key}: {v}")
            ok, v = verdict(key, b, a)
            self.assertTrue(ok, f"{key}: {v}")

    def test_ledger_rows(self):
        self.assertEqual(set(ab.LEDGER), {"Memory: reserved (K)", "MemTotal (kB)"})

    def test_one_page_leaked_fails(self):
        a = obs()
        for key in ab.LEDGER:
            for d in (-4, 4):
                b = self.image_bigger(8, freed=4)
                b[key] += d
                ok, v = verdict(key, a, b)
                self.assertFalse(ok, f"{key} {d:+d}K: {v}")

    def test_image_figure_wrong_by_a_page_fails(self):
        a, b = obs(), self.image_bigger(8, freed=4)
        b["kernel image freed later (K)"] += 4
        ok, _ = verdict("MemTotal (kB)", a, b)
        self.assertFalse(ok)

    def test_missing_image_size_fails(self):
        a, b = obs(), obs(**{"kernel image reserved (K)": None})
        ok, _ = verdict("Memory: reserved (K)", a, b)
        self.assertFalse(ok)

    def test_expected_ledger_delta_is_exact(self):
        a = obs()
        exp = {"Memory: reserved (K)": ("ledger:+8", "why")}
        for d, want in ((8, True), (4, False), (12, False), (0, False), (-8, False)):
            b = self.image_bigger(8, freed=4)
            b["Memory: reserved (K)"] += d
            ok, v = verdict("Memory: reserved (K)", a, b, exp)
            self.assertEqual(ok, want, f"{d:+d}K: {v}")

    def test_total_is_exact(self):
        ok, _ = verdict("Memory: total (K)", obs(),
                        obs(**{"Memory: total (K)": 1048044}))
        self.assertFalse(ok)

    def test_image_reserved_from_memblock(self):
        dump = {"reserved": [(0x1000000, 0x3ffffff, "0", 0),
                             (0x4000000, 0x4000fff, "0", 0),
                             (0x5000000, 0x5000fff, "0", 0)]}
        # iomem's Kernel code..bss ends inside the first region.
        self.assertEqual(ab.image_reserved_k(dump, 0x1000000, 0x2ffffff),
                         0x3000000 // 1024)
        # ... or reaches into the second: both hold the image.
        self.assertEqual(ab.image_reserved_k(dump, 0x1000000, 0x4000010),
                         (0x3000000 + 0x1000) // 1024)


class Parsing(unittest.TestCase):
    def test_memory_line(self):
        lines = ["[    0.1] Memory: 960000K/1048048K available (16384K kernel code, "
                 "2048K rwdata, 8192K rodata, 4096K init, 1024K bss, 88048K reserved, "
                 "0K cma-reserved)"]
        fig = ab.memory_line(lines)
        self.assertEqual(fig["available"], 960000)
        self.assertEqual(fig["total"], 1048048)
        self.assertEqual(fig["reserved"], 88048)
        self.assertEqual(fig["kernel code"], 16384)

    def test_expected_file_rejects_shift(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("EFI runtime map | shift | moved\n")
        try:
            with self.assertRaises(SystemExit):
                ab.load_expected(f.name)
        finally:
            os.unlink(f.name)

    def test_expected_file_needs_reason(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("EFI runtime map | any | \n")
        try:
            with self.assertRaises(SystemExit):
                ab.load_expected(f.name)
        finally:
            os.unlink(f.name)


class EqualisedImages(unittest.TestCase):
    def fake_pe(self, size, soi):
        d = bytearray(size)
        d[0:2] = b"MZ"
        d[0x3c:0x40] = (0x80).to_bytes(4, "little")
        d[0x80:0x84] = b"PE\0\0"
        off = 0x80 + 24 + 56
        d[off:off + 4] = soi.to_bytes(4, "little")
        d[-1] = 0xaa
        return bytes(d)

    def test_same_length_and_size_of_image(self):
        with tempfile.TemporaryDirectory() as tmp:
            old_build = ab.BUILD
            ab.BUILD = tmp
            try:
                imgs = {"c": self.fake_pe(10000, 0x5000), "rust": self.fake_pe(14000, 0x7000)}
                for v, d in imgs.items():
                    p = ab.built_image(v)
                    os.makedirs(os.path.dirname(p))
                    with open(p, "wb") as f:
                        f.write(d)
                out = ab.equalised_images(("c", "rust"))
                got = {v: open(p, "rb").read() for v, p in out.items()}
            finally:
                ab.BUILD = old_build
        self.assertEqual(len(got["c"]), 16384)
        self.assertEqual(len(got["rust"]), 16384)
        for v, d in got.items():
            off = ab.pe_size_of_image_offset(d)
            self.assertEqual(int.from_bytes(d[off:off + 4], "little"), 0x7000)
            n = len(imgs[v])
            # Everything but SizeOfImage is kept; the rest is zeros.
            self.assertEqual(d[:off], imgs[v][:off])
            self.assertEqual(d[off + 4:n], imgs[v][off + 4:])
            self.assertEqual(d[n:], bytes(len(d) - n))


def kernel_log(reserved, rtmap, freed="39648K", end="power", smp="8K"):
    """A serial log of one kernel: a memblock dump of reserved
    [(base, end, flags)], KUnit passing, the initramfs dump with the
    runtime map rtmap, and end: "power" (powers off), "kexec" (the first
    kernel of a kexec point) or None (stops)."""
    lines = ["[    0.000000] Linux version 6.12.117",
             "[    0.030000] MEMBLOCK configuration:"]
    for i, (b, e, fl) in enumerate(reserved):
        lines.append(f"[    0.030000]  reserved[{i:#x}]\t[{b:#018x}-{e:#018x}], "
                     f"{e - b + 1:#018x} bytes on node 0 flags: {fl:#x}")
    if freed:
        lines.append(f"[    0.200000] efi: Freeing EFI boot services memory: {freed}")
    if smp:
        lines.append(f"[    0.300000] Freeing SMP alternatives memory: {smp}")
    lines.append("[    0.400000] rust_bootmem: EFI memory map: 30 descriptors of 48 bytes")
    lines += [ab.STATE_BEGIN, "--- efi-runtime-map", *rtmap, "--- boot-services"]
    if freed:
        lines.append(f"Freeing EFI boot services memory: {freed}")
    lines.append(ab.STATE_END)
    if end == "power":
        lines.append("[    2.600000] reboot: Power down")
    elif end == "kexec":
        lines.append(ab.KEXEC_MARK)
    return lines


BGRT = (0x3e072018, 0x3e07a3b5, 0x20)
MEMATTR = (0x3e06f018, 0x3e06f447, 0x20)
BS_RT = ["0x3 0x0 0x1 0xf 0xfffffffefce00000",
         "0x4 0x3e072000 0x4b 0xf 0xfffffffefdc72000",
         "0x6 0x3ea8a000 0x102 0x800000000000000f 0xfffffffefe68a000"]


def first_kernel():
    return kernel_log([MEMATTR, BGRT], BS_RT, end="kexec")


def second_kernel(**kw):
    """The second kernel as it should be: the first one's regions reserved
    (the whole BGRT descriptor, by efi_reserve_boot_services()), the same
    runtime map, nothing freed."""
    args = dict(reserved=[(0x3e06f000, 0x3e06ffff, 0x0), MEMATTR,
                          (0x3e072000, 0x3e072017, 0x0), BGRT,
                          (0x3e07a3b6, 0x3e0bcfff, 0x0)],
                rtmap=BS_RT, freed=None)
    args.update(kw)
    return kernel_log(**args)


class ExpectedWarnings(unittest.TestCase):
    """An expected-WARNING section needs a real WARN (header and all)."""

    def with_section(self, *inner):
        log = kernel_log([MEMATTR, BGRT], BS_RT)
        return log[:2] + ["[    0.1] " + ab.EXPECT_BEGIN, *inner,
                          "[    0.1] " + ab.EXPECT_END] + log[2:]

    def test_real_warn_satisfies(self):
        self.assertEqual(ab.check_log(self.with_section(
            "[    0.1] ------------[ cut here ]------------",
            "[    0.1] WARNING: CPU: 0 PID: 1 at mm/memblock.c:1090 "
            "memblock_add_range_warn+0x2a/0x40")), [])

    def test_pr_warn_saying_warning_does_not(self):
        p = ab.check_log(self.with_section(
            "[    0.1] memblock: WARNING: memblock_reserve_kern: 1 x "
            "WARN_ON(flags != rgn->flags) in memblock_add_range"))
        self.assertIn("a test expected a WARNING that did not come", p)

    def test_warning_outside_a_section_is_a_problem(self):
        log = kernel_log([MEMATTR, BGRT], BS_RT)
        log.insert(2, "[    0.1] WARNING: CPU: 0 PID: 1 at foo+0x1/0x2")
        self.assertTrue(any(p.startswith("log: WARNING") for p in ab.check_log(log)))


class KtapFilter(unittest.TestCase):
    """A kernel line printed between a subtest's "KTAP version 1" and its
    "# Subtest:" header (seen: the TSC refinement's clocksource lines)
    must not turn the suite's cases into errors."""

    LOG = [
        "[    2.0] KTAP version 1",
        "[    2.0] 1..1",
        "[    2.1]     KTAP version 1",
        "[    2.1] clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x2127",
        "[    2.1]     # Subtest: efi_memmap",
        "[    2.1]     1..2",
        "[    2.1]         KTAP version 1",
        "[    2.1] clocksource: Switched to clocksource tsc",
        "[    2.1]         # Subtest: efi_mm_tail",
        "[    2.1]         ok 1 desc_size=48",
        "[    2.1] tsc: Refined TSC clocksource calibration: 2300.000 MHz",
        "[    2.1]         ok 2 desc_size=56",
        "[    2.1]     # efi_mm_tail: pass:2 fail:0 skip:0 total:2",
        "[    2.1]     ok 1 efi_mm_tail",
        "[    2.2]     # free_bad_table.speed: normal",
        "[    2.2]     ok 2 free_bad_table # SKIP no table",
        "[    2.2] # efi_memmap: pass:1 fail:0 skip:1 total:2",
        "[    2.2] ok 1 efi_memmap",
    ]

    def test_only_ktap_lines_kept(self):
        kept = ab.ktap_only(self.LOG)
        self.assertEqual(len(kept), len(self.LOG) - 3)
        self.assertFalse(any("clocksource" in line or "tsc:" in line for line in kept))

    def test_kunit_py_parses_the_suite(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "boot.log")
            ab.write_lines(path, self.LOG)
            ok, suites, text = ab.kunit_results(path)
        self.assertTrue(ok, text)
        # The parameterised case counts once per parameter.
        self.assertEqual(suites, [("efi_memmap", {"pass": 2, "fail": 0, "skip": 1,
                                                  "error": 0})])
        self.assertEqual(ab.case_status["efi_memmap"],
                         [("free_bad_table", "skip"), ("efi_mm_tail/desc_size=48", "pass"),
                          ("efi_mm_tail/desc_size=56", "pass")])


class Sample(unittest.TestCase):
    """The Rust sample's lines: its summary, and the timing-dependent
    count of units still unaccepted apart."""

    def test_summary_and_count(self):
        o = ab.sample_observables([
            "[    1.5] rust_bootmem: EFI memory map: 7 descriptors of 48 bytes",
            "[    1.5] rust_bootmem:   Conventional            3 descriptors     1000 KiB",
            "[    1.5] rust_bootmem: unaccepted memory: 384 units of 2048 KiB from 0x0",
            "[    1.5] rust_bootmem: unaccepted memory: 17 units still unaccepted",
            "[    1.6] something else"])
        self.assertEqual(o["rust_bootmem sample"], [
            "EFI memory map: 7 descriptors of 48 bytes",
            "  Conventional            3 descriptors     1000 KiB",
            "unaccepted memory: 384 units of 2048 KiB from 0x0"])
        self.assertEqual(o["rust_bootmem: units still unaccepted"], 17)

    def test_absent(self):
        o = ab.sample_observables(["[    1.0] no sample here"])
        self.assertEqual(o, {"rust_bootmem sample": None,
                             "rust_bootmem: units still unaccepted": None})

    def test_required(self):
        self.assertIn("rust_bootmem sample", ab.REQUIRED)
        self.assertIn("rust_bootmem sample", ab.REQUIRED_2ND)


class Kexec(unittest.TestCase):
    """The kexec point: the serial log holds two kernels."""

    def test_split(self):
        one, two = first_kernel(), second_kernel()
        a, b = ab.split_kexec(one + two)
        self.assertEqual((a, b), (one, two))
        self.assertEqual(ab.split_kexec(two), (two, None))

    def test_first_kernel_must_reach_kexec(self):
        self.assertEqual(ab.check_log(first_kernel(), end=ab.KEXEC_MARK), [])
        p = ab.check_log(first_kernel()[:-1], end=ab.KEXEC_MARK)
        self.assertTrue(any("did not reach" in x for x in p), p)
        # ... and is not required to power off.
        self.assertIn("the kernel did not power off", ab.check_log(first_kernel()))

    def test_second_kernel_clean(self):
        two = second_kernel()
        self.assertEqual(ab.check_log(two), [])
        self.assertEqual(ab.second_kernel_problems(two, ab.observables(two)), [])
        obs, problems = ab.kexec_observables(first_kernel(), two)
        self.assertEqual(problems, [])
        self.assertEqual(obs["1st kernel's RSRV_KERN regions"],
                         ["[0x3e06f018-0x3e06f447] reserved",
                          "[0x3e072018-0x3e07a3b5] reserved"])
        self.assertEqual(len(obs["1st kernel's boot services descriptors"]), 2)
        self.assertEqual(obs["boot services regions kept (K)"], (1 + 0x4b) * 4)

    def test_second_kernel_freeing_fails(self):
        two = second_kernel(freed="264K")
        p = ab.second_kernel_problems(two, ab.observables(two))
        self.assertEqual(len(p), 2, p)    # the dump row and the kernel message
        # The kernel message alone (a dump that missed it) fails too.
        two = [l for l in two if not l.startswith("Freeing EFI")]
        p = ab.second_kernel_problems(two, ab.observables(two))
        self.assertEqual(len(p), 1, p)
        self.assertIn("kernel message", p[0])
        # "0K" is a free too: the line must not be there at all.
        two = second_kernel(freed="0K")
        self.assertTrue(ab.second_kernel_problems(two, ab.observables(two)))

    def test_second_kernel_must_power_off(self):
        self.assertIn("the kernel did not power off",
                      ab.check_log(second_kernel(end=None)))

    def test_rsrv_kern_region_not_reserved_fails(self):
        # The BGRT image's last page no longer reserved in the second kernel.
        two = second_kernel(reserved=[MEMATTR, (0x3e072000, 0x3e079fff, 0)])
        obs, p = ab.kexec_observables(first_kernel(), two)
        self.assertEqual(len(p), 1, p)
        self.assertIn("[0x3e072018-0x3e07a3b5] NOT RESERVED",
                      obs["1st kernel's RSRV_KERN regions"])
        # One byte short at the start.
        two = second_kernel(reserved=[MEMATTR, (0x3e072019, 0x3e0bcfff, 0)])
        self.assertEqual(len(ab.kexec_observables(first_kernel(), two)[1]), 1)
        # Covered by adjacent regions: kept.
        two = second_kernel(reserved=[MEMATTR, (0x3e072000, 0x3e074fff, 0),
                                      (0x3e075000, 0x3e0bcfff, 0x20)])
        self.assertEqual(ab.kexec_observables(first_kernel(), two)[1], [])

    def test_boot_services_descriptor_missing_fails(self):
        for rt in ([BS_RT[1], BS_RT[2]],
                   [BS_RT[0], BS_RT[1].replace(" 0x4b ", " 0x4a "), BS_RT[2]]):
            obs, p = ab.kexec_observables(first_kernel(), second_kernel(rtmap=rt))
            self.assertEqual(len(p), 1, p)

    def test_covered(self):
        regs = [(0x1000, 0x1fff), (0x2000, 0x2fff), (0x4000, 0x4fff)]
        self.assertTrue(ab.covered(regs, 0x1000, 0x2fff))
        self.assertTrue(ab.covered(regs, 0x1800, 0x2800))
        self.assertFalse(ab.covered(regs, 0x1000, 0x3000))
        self.assertFalse(ab.covered(regs, 0x0fff, 0x1fff))
        self.assertFalse(ab.covered([], 0x1000, 0x1000))


class KexecBoot(unittest.TestCase):
    """boot_and_check() at a kexec point, on canned serial logs (no QEMU)."""

    def run_point(self, lines, variant="c"):
        saved = (ab.boot, ab.build_kexec_initramfs, ab.kunit_results, ab.LOGS)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "boot-x.log")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")

            def kunit(p):
                ab.case_status.clear()
                ab.case_status["s"] = [("a", "pass")]
                return True, [("s", {"pass": 1, "fail": 0, "skip": 0, "error": 0})], ""
            ab.boot = lambda *a, **k: (path, 1.0, False)
            ab.build_kexec_initramfs = lambda v, i: "initrd"
            ab.kunit_results = kunit
            try:
                results = []
                r = ab.boot_and_check(variant, "1G", 2, "", results, image="img",
                                      point=ab.KEXEC_POINT)
            finally:
                ab.boot, ab.build_kexec_initramfs, ab.kunit_results, ab.LOGS = saved
        return r, results

    def boots(self, results):
        return {n: ok for n, ok, _ in results if n.startswith("boot ")}

    def test_good_kexec_passes(self):
        r, results = self.run_point(first_kernel() + second_kernel())
        self.assertEqual(r["problems"], [])
        self.assertEqual(r["second"]["problems"], [])
        self.assertEqual(set(self.boots(results).values()), {True})
        # Both kernels' KUnit cases are recorded, the second's by name.
        names = [n for n, _, _ in results if n.startswith("kunit ")]
        self.assertEqual(len(names), 2)
        self.assertTrue(any("2nd kernel: s.a" in n for n in names), names)

    def test_missing_second_kernel_fails(self):
        r, results = self.run_point(first_kernel())
        self.assertTrue(r["second"]["problems"])
        self.assertIn(False, self.boots(results).values())

    def test_no_kexec_fails(self):
        lines = kernel_log([MEMATTR, BGRT], BS_RT, end=None)
        lines.append("bootmem-rs: kexec failed")
        r, _ = self.run_point(lines)
        self.assertTrue(r["problems"])
        self.assertTrue(r["second"]["problems"])

    def test_second_kernel_freeing_fails(self):
        r, results = self.run_point(first_kernel() + second_kernel(freed="264K"))
        self.assertEqual(r["problems"], [])
        self.assertTrue(r["second"]["problems"])
        self.assertIn(False, self.boots(results).values())

    def test_second_kernel_without_rsrv_kern_fails(self):
        two = second_kernel(reserved=[(0x3e06f000, 0x3e0bcfff, 0x0)])
        r, _ = self.run_point(first_kernel() + two)
        self.assertTrue(any("RSRV_KERN" in p for p in r["second"]["problems"]),
                        r["second"]["problems"])

    def test_second_kernel_not_powered_off_fails(self):
        r, _ = self.run_point(first_kernel() + second_kernel(end=None))
        self.assertIn("the kernel did not power off", r["second"]["problems"])

    def test_stock_second_kernel_must_not_free_either(self):
        r, _ = self.run_point(first_kernel() + second_kernel(freed="264K"), "stock")
        self.assertTrue(r["second"]["problems"])


class KexecRows(unittest.TestCase):
    """The second kernel's rows: only "2nd kernel: ..." lines apply."""

    def analysis(self, lines):
        return {"cases": {}, "obs": ab.observables(lines)}

    def rows(self, expected, c=None, r=None):
        runs = {"c": self.analysis(c or second_kernel()),
                "rust": self.analysis(r or second_kernel())}
        results = []
        saved = ab.log
        ab.log = lambda m: None
        try:
            ok = ab.compare_kernel(results, "p", runs, ["c", "rust"], expected, {},
                                   prefix=ab.SECOND)
        finally:
            ab.log = saved
        return ok, {n: (o, d) for n, o, d in results}

    def test_absent_freed_row_needs_its_own_line(self):
        key = "EFI boot services freed"
        ok, rows = self.rows({})
        self.assertFalse(rows[f"ab p {ab.SECOND}{key}"][0])
        # A line for the first kernel's row does not excuse the second's.
        ok, rows = self.rows({key: ("absent", "why")})
        self.assertFalse(rows[f"ab p {ab.SECOND}{key}"][0])
        ok, rows = self.rows({ab.SECOND + key: ("absent", "kexec frees nothing")})
        self.assertTrue(rows[f"ab p {ab.SECOND}{key}"][0])

    def test_second_kernel_difference_fails(self):
        exp = {ab.SECOND + "EFI boot services freed": ("absent", "kexec frees nothing")}
        _, rows = self.rows(exp)
        self.assertTrue(rows[f"ab p {ab.SECOND}EFI runtime map"][0])
        self.assertTrue(rows[f"ab p {ab.SECOND}EFI boot services freed"][0])
        rt = [BS_RT[0], BS_RT[1].replace(" 0x4b ", " 0x4a "), BS_RT[2]]
        ok2, rows = self.rows(exp, r=second_kernel(rtmap=rt))
        self.assertFalse(rows[f"ab p {ab.SECOND}EFI runtime map"][0])
        self.assertFalse(ok2)



def sim_log(units=200, double=0, uba=0, bad=0, table=0x3e4ffff8,
            rsv=(0x3e4ff000, 0x3e500fff), nbits=512):
    """Lines of a boot with simulated unaccepted memory."""
    lines = [
        f"[    0.000000] efi: ACPI=0x3f77d000 Unaccepted={table:#x} INITRD=0x3e067f18 ",
        f"[    0.000000] memblock_add: [{rsv[0]:#018x}-{rsv[1]:#018x}] "
        "reserve_unaccepted+0x34/0x50",
        f"[    0.000000] memblock_reserve: [{rsv[0]:#018x}-{rsv[1]:#018x}] "
        "efi_config_parse_tables+0x4d/0x170",
        f"[    0.010000] efi_unaccepted_sim: {nbits} units of 2048 KiB at 0x10000000, "
        "384 unaccepted, 1300 us per unit",
        "bootmem-rs: init start 3.21",
        "bootmem-rs: sim at init: units_accepted 120",
        "bootmem-rs: sim at init: double_accepts 0",
        "=== bootmem-rs state begin ===",
        "--- meminfo",
        "MemTotal:         960000 kB",
        "Unaccepted:       520192 kB",
        "--- unaccepted-sim",
        f"units_accepted {units}",
        f"double_accepts {double}",
        f"use_before_accept {uba}",
        f"bad_ranges {bad}",
        "delay_us 1300",
        "early_units 40",
        "early_range [0x3c000000-0x3f000000)",
        "early_range [0x30000000-0x30a00000)",
        "=== bootmem-rs state end ===",
    ]
    return lines


class SimulatedUnacceptedMemory(unittest.TestCase):
    def problems(self, **kw):
        lines = sim_log(**kw)
        return ab.sim_problems(ab.observables(lines), lines)

    def test_rows(self):
        o = ab.observables(sim_log())
        self.assertEqual(o["sim: units accepted by init"], 120)
        self.assertEqual(o["sim: units accepted by the end"], 200)
        self.assertEqual(o["Unaccepted at the end (kB)"], 520192)
        self.assertEqual(o["sim: double accepts"], 0)
        self.assertIn("[0x3e4ff000-0x3e501000)", o["unaccepted table reserved"])
        self.assertEqual(ab.init_start(sim_log()), 3.21)

    def test_no_sim_rows_without_the_simulation(self):
        lines = [l for l in sim_log() if not l.startswith(("units_", "double", "use_",
                                                            "bad_", "delay", "--- unacc"))]
        self.assertFalse(any(k.startswith("sim: ") for k in ab.observables(lines)))

    def test_clean_boot_passes(self):
        self.assertEqual(self.problems(), [])

    def test_double_accept_fails(self):
        self.assertTrue(self.problems(double=1))

    def test_use_before_accept_fails(self):
        self.assertTrue(self.problems(uba=1))

    def test_partial_unit_accept_fails(self):
        self.assertTrue(self.problems(bad=1))

    def test_nothing_accepted_fails(self):
        self.assertTrue(self.problems(units=0))

    def test_reservation_one_page_short_fails(self):
        # 0862438c9048: the table's second page must be reserved too.
        self.assertTrue(self.problems(rsv=(0x3e4ff000, 0x3e4fffff)))
        self.assertTrue(self.problems(rsv=(0x3e500000, 0x3e500fff)))

    def test_added_but_not_reserved_fails(self):
        lines = [l for l in sim_log() if "memblock_reserve" not in l]
        self.assertTrue(ab.sim_problems(ab.observables(lines), lines))

    def test_table_within_one_page_fails(self):
        # The simulation must exercise the fix: its table straddles a page.
        self.assertTrue(self.problems(table=0x3e4ff100, rsv=(0x3e4ff000, 0x3e4fffff)))

    def test_error_lines_fail_the_log(self):
        lines = sim_log() + [
            "[    1.0] efi_unaccepted_sim: unit [0x10000000, 0x10200000) accepted twice",
            "reboot: Power down"]
        self.assertTrue(any("twice" in p for p in ab.check_log(lines)))
        lines = sim_log() + [
            "[    1.0] efi_unaccepted_sim: page 0x10000000 was written before it was accepted",
            "reboot: Power down"]
        self.assertTrue(any("before it was" in p for p in ab.check_log(lines)))

    def test_early_rows(self):
        o = ab.observables(sim_log())
        self.assertEqual(o["sim: units accepted before slab"], 40)
        self.assertEqual(o["sim: ranges accepted before slab"],
                         ["[0x3c000000-0x3f000000)", "[0x30000000-0x30a00000)"])
        b = ab.observables([l.replace("0x30a00000)", "0x30c00000)") for l in sim_log()])
        self.assertFalse(verdict("sim: ranges accepted before slab", o, b)[0])

    def test_timing_rows_are_listed(self):
        exp = ab.load_expected()
        for row in ("sim: units accepted by init", "sim: units accepted by the end",
                    "Unaccepted at the end (kB)"):
            self.assertEqual(exp[row][0], "any")
        for row in ("sim: units accepted before slab", "sim: ranges accepted before slab",
                    "sim: double accepts", "sim: pages used before accept"):
            self.assertNotIn(row, exp)

    def test_units_by_init_differing_by_one_fails(self):
        a = ab.observables(sim_log())
        b = ab.observables([l.replace("units_accepted 120", "units_accepted 121")
                            for l in sim_log()])
        self.assertFalse(verdict("sim: units accepted by init", a, b)[0])


if __name__ == "__main__":
    unittest.main()
