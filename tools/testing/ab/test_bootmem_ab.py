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


if __name__ == "__main__":
    unittest.main()
