/* The frame's copy of what the bootloader said, and the multiboot parsers that fill it. */
#ifndef FRAME_BOOT_BOOTINFO_H
#define FRAME_BOOT_BOOTINFO_H

#include <frame/boot.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_MAX_REGIONS 128
#define BOOT_MAX_MODULES 32
#define BOOT_CMDLINE_MAX 8192
#define BOOT_NAME_MAX 256
#define MB2_INFO_MAX (1u << 20) /* a larger multiboot2 info is taken as corrupt */

struct boot_module {
	uint64_t start, size;
	char name[BOOT_NAME_MAX];
};

#define BOOT_RSDP_MAX 64 /* bytes of the RSDP copy kept: an ACPI 2.0+ RSDP has 36 */

struct boot_info {
	char loader[BOOT_NAME_MAX];
	char cmdline[BOOT_CMDLINE_MAX];
	struct boot_memory_region regions[BOOT_MAX_REGIONS];
	size_t region_count;
	const char *map_source; /* the memory map's origin: "multiboot2", "UEFI", ...; NULL if none */
	uint32_t map_entries;	/* how many entries it had, before merging */
	struct boot_module modules[BOOT_MAX_MODULES];
	size_t module_count;
	bool has_framebuffer;
	struct boot_framebuffer framebuffer;
	uint64_t framebuffer_phys; /* the frame's: a driver gets a window (io_mem_map_framebuffer()) */
	/* A copy of the RSDP from multiboot2's ACPI tags (new, else old), unchecked: acpi.c checks
	 * it and falls back to the BIOS-area scan. rsdp_len is 0 without a tag. */
	uint8_t rsdp[BOOT_RSDP_MAX];
	uint32_t rsdp_len;
	bool rsdp_new;	      /* from the ACPI 2.0+ tag (15) or PVH; acpi.c tries it before the old one */
	uint8_t rsdp_old[20]; /* multiboot2's ACPI 1.0 tag (14): the RSDP's first 20 bytes */
	uint32_t rsdp_old_len;
};

extern struct boot_info boot_info;

/* Parse the bootloader's info (magic from EAX, physical address from EBX) into boot_info. */
void boot_info_init(uint32_t magic, uint64_t info_phys);
/* Log (at debug) where the memory map came from: called once the command line set the level. */
void boot_info_log(void);
/* Parse a multiboot2 info block of at most avail bytes into bi. Returns the number of
 * problems found (each logged as a warning); parsing stops at the first malformed tag. */
int boot_parse_mb2(struct boot_info *bi, const uint8_t *info, size_t avail);
/* Parse a PVH start info (struct hvm_start_info) at physical address info_phys into bi, reading
 * what it points to through the linear map; an address it cannot map, or 0, is said and its
 * field ignored. Returns the number of problems found (each logged as a warning). */
int boot_parse_pvh(struct boot_info *bi, uint64_t info_phys);
/* Parse a cpio "newc" archive of size bytes at a (physical address phys): each regular file in
 * it becomes a module of bi, named as its member. At the first malformed member the rest is
 * ignored. Returns the number of problems found (0 or 1, logged as a warning). */
int boot_parse_cpio(struct boot_info *bi, const uint8_t *a, uint64_t size, uint64_t phys);
/* Drop (with a warning each) the modules of bi that the frame must not hand out: past the linear
 * map, overlapping the kernel image [image_start, image_end), or not in the memory map's RAM
 * (usable or ACPI reclaimable). An empty module is kept. Returns how many were dropped. */
int boot_check_modules(struct boot_info *bi, uint64_t image_start, uint64_t image_end);

#endif
