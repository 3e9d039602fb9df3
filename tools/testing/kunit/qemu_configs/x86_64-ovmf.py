# SPDX-License-Identifier: GPL-2.0
#
# x86_64 under QEMU booting through the EFI stub with OVMF (Debian's ovmf
# package), so that suites which need a real EFI boot (the EFI memory map,
# its boot services regions, the EFI unaccepted memory table) run there:
#
#   tools/testing/kunit/kunit.py run \
#       --qemu_config=tools/testing/kunit/qemu_configs/x86_64-ovmf.py ...
#
# TCG only (no KVM needed); q35 as the bootmem-rs A/B boots use.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_ACPI=y
CONFIG_EFI=y
CONFIG_EFI_STUB=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=['-machine', 'q35,accel=tcg',
					      '-cpu', 'max', '-smp', '2',
					      '-bios', '/usr/share/ovmf/OVMF.fd'])
