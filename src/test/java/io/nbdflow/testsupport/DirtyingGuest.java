package io.nbdflow.testsupport;

import java.nio.file.Path;
import java.util.HexFormat;

/**
 * A guest without an operating system that keeps dirtying its RAM: a raw disk whose boot sector
 * switches to 32-bit protected mode (flat segments) and, for ever, writes to each 4 KiB page of
 * the 16 MiB above 1 MiB, one page every 65536 TSC ticks (about 32,000 pages, 125 MiB, a second
 * on a 2 GHz host: every page dirty again within 0.15 s). A RAM migration limited well below that
 * never converges on its own; QEMU's auto-converge throttles the guest's CPU, and as the pace
 * is kept by the clock, not by the CPU's speed, a throttled guest dirties in proportion less.
 * SeaBIOS boots it from a virtio disk; it needs at least 32 MiB of RAM.
 */
public final class DirtyingGuest {

    /** The memory the guest dirties, in bytes. */
    public static final long DIRTIED = 16L << 20;

    /**
     * Code loaded at 0x7c00, assembled with GNU as ({@code as --32}, {@code objcopy -O binary})
     * and checked by migrating it:
     * <pre>
     * .code16
     *     cli; xor %ax,%ax; mov %ax,%ds; mov %ax,%ss; mov $0x7c00,%sp
     *     inb $0x92,%al; or $2,%al; outb %al,$0x92        # fast A20: reach memory above 1 MiB
     *     lgdtl 0x7c00+gdtr
     *     mov %cr0,%eax; or $1,%eax; mov %eax,%cr0         # protected mode
     *     ljmpl $0x08,$0x7c00+pm
     * .code32
     * pm: mov $0x10,%ax; mov %ax,%ds; mov %ax,%es; mov %ax,%ss; mov $0x7c00,%esp
     * pass: mov $0x100000,%edi                            # from 1 MiB
     * page: incl (%edi)                                   # one write dirties the page
     *     rdtsc; mov %eax,%ebx
     * tick: rdtsc; sub %ebx,%eax; cmp $0x10000,%eax; jb tick   # 65536 TSC ticks a page
     *     add $4096,%edi; cmp $0x100000+0x1000000,%edi; jb page  # 16 MiB
     *     jmp pass
     * .align 8
     * gdt: .quad 0; .quad 0x00cf9a000000ffff; .quad 0x00cf92000000ffff   # null, code, data: base 0, 4 GiB
     * gdtr: .word 23; .long 0x7c00+gdt
     * </pre>
     */
    private static final byte[] CODE = HexFormat.of().parseHex(
            "fa31c08ed88ed0bc007ce4920c02e692660f0116787c0f20c06683c8010f22c066ea287c0000080066b810008ed8"
                    + "8ec08ed0bc007c0000bf00001000ff070f3189c30f3129d83d0000010072f581c70010000081ff0000100172e1"
                    + "ebda8d76000000000000000000ffff0000009acf00ffff00000092cf001700607c0000");

    private DirtyingGuest() {
    }

    /** Writes the boot disk (raw, 1 MiB: SeaBIOS does not boot a disk of one sector) to that file. */
    public static Path createDisk(Path file) {
        return BootSector.createDisk(file, CODE);
    }
}
