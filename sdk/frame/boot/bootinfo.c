/*
 * Boot information: multiboot2 (GRUB) and PVH (QEMU -kernel) parsed into one struct the
 * frame owns. Every length the bootloader gives is checked against the bytes really there.
 */
#include "boot/bootinfo.h"
#include "mm/kasan.h"
#include "check.h"
#include "lib/bytes.h"
#include <frame/string.h>
#include "mm/kernel_map.h"
#include "mm/linear_map.h"
#include <frame/log.h>

#define MB2_BOOT_MAGIC 0x36d76289
#define FRAMEBUFFER_MAX (256ull << 20) /* a larger framebuffer is taken as corrupt */

/* Multiboot2 tag types (the multiboot2 specification, section 3.6). */
enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_MEMORY_MAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ACPI_OLD = 14, /* a copy of the ACPI 1.0 RSDP */
	MB2_TAG_ACPI_NEW = 15, /* a copy of the ACPI 2.0+ RSDP */
	MB2_TAG_EFI_MMAP = 17, /* the firmware's own memory map, under UEFI */
};

/* UEFI memory types (the UEFI specification, EFI_MEMORY_TYPE) and a descriptor's layout:
 * type (4 bytes), padding, physical start (8), virtual start (8), pages (8), attributes (8). */
enum efi_memory_type {
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_CONVENTIONAL = 7,
	EFI_UNUSABLE = 8,
	EFI_ACPI_RECLAIM = 9,
	EFI_ACPI_NVS = 10,
};
#define EFI_DESCRIPTOR_MIN 40u
#define EFI_MEMORY_SP (1ull << 18)	/* "specific purpose": kept for one use */
#define EFI_MEMORY_RUNTIME (1ull << 63) /* the firmware's own at run time */

struct boot_info boot_info;

/* Copy a string of at most max bytes (NUL included) into dst; truncation is reported. */
static void copy_str(char *dst, size_t dst_size, const char *src, size_t max, const char *what, int *problems)
{
	size_t n = 0;
	while (n < max && src[n])
		n++;
	if (n == max && n > 0)
		log_warn("boot: the %s has no NUL within its %zu bytes; cut there", what, max), (*problems)++;
	else if (n >= dst_size)
		log_warn("boot: the %s is %zu bytes, over the frame's limit of %zu; cut there", what, n, dst_size - 1);
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static enum boot_memory_type memory_type(uint32_t t)
{
	return t >= 1 && t <= 5 && t != 2 ? (enum boot_memory_type)t : BOOT_MEMORY_RESERVED;
}

/* Record a region; returns false (after one warning) once the table is full. */
static bool add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->region_count == BOOT_MAX_REGIONS) {
		log_warn("boot: more than %d memory regions; the rest are ignored", BOOT_MAX_REGIONS);
		return false;
	}
	bi->regions[bi->region_count++] = (struct boot_memory_region){base, len, memory_type(type)};
	return true;
}

static struct boot_module *add_module(struct boot_info *bi, uint64_t start, uint64_t end)
{
	if (bi->module_count == BOOT_MAX_MODULES || end < start) {
		log_warn("boot: module 0x%llx-0x%llx ignored (%s)", (unsigned long long)start, (unsigned long long)end,
			 end < start ? "it ends before it starts" : "too many modules");
		return NULL;
	}
	struct boot_module *m = &bi->modules[bi->module_count++];
	*m = (struct boot_module){.start = start, .size = end - start};
	return m;
}

/* The framebuffer multiboot2 describes at fb (address, pitch, width, height, bits per pixel,
 * type), with the position and
 * size of each colour of an RGB one at colours (NULL if absent). Taken only if its shape is
 * sane: a known type and depth, lines at least as long as their pixels, and at most
 * FRAMEBUFFER_MAX bytes in all. */
static void set_framebuffer(struct boot_info *bi, const uint8_t *fb, const uint8_t *colours)
{
	uint64_t phys = get64(fb), pitch = get32(fb + 8), w = get32(fb + 12), h = get32(fb + 16);
	uint8_t bpp = fb[20], type = fb[21];
	bool depth_ok = type == BOOT_FRAMEBUFFER_TEXT ? bpp == 16
						      : bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
	if (type > BOOT_FRAMEBUFFER_TEXT || !bpp || bpp > 32 || (type == BOOT_FRAMEBUFFER_TEXT && bpp != 16) || !w ||
	    !h || pitch < (w * bpp + 7) / 8 || pitch * h > FRAMEBUFFER_MAX || phys + pitch * h < phys) {
		log_warn("boot: framebuffer %llux%llu, %u bits per pixel, type %u, pitch %llu is not sane; ignored",
			 (unsigned long long)w, (unsigned long long)h, bpp, type, (unsigned long long)pitch);
		return;
	}
	if (!depth_ok) { /* a sound mode the frame does not draw in (GRUB on isapc: 640x480, 1 bit) */
		log_info("boot: the loader's framebuffer (%llux%llu, %u bits per pixel, type %u) is a mode the frame "
			 "does not draw in; no framebuffer",
			 (unsigned long long)w, (unsigned long long)h, bpp, type);
		return;
	}
	bi->has_framebuffer = true;
	bi->framebuffer_phys = phys;
	bi->framebuffer = (struct boot_framebuffer){.width = (uint32_t)w,
						    .height = (uint32_t)h,
						    .pitch = (uint32_t)pitch,
						    .bits_per_pixel = bpp,
						    .type = (enum boot_framebuffer_type)type};
	if (type == BOOT_FRAMEBUFFER_RGB && colours)
		bi->framebuffer.colours = (struct boot_framebuffer_colours){colours[0], colours[1], colours[2],
									    colours[3], colours[4], colours[5]};
}

/* The multiboot2 memory-map type of a UEFI memory type. Once the boot loader has left the
 * firmware's boot services, their memory and the loader's are free like conventional memory (the
 * frame keeps its own image, the boot information and the modules out of the allocator itself). */
static uint32_t efi_type(uint32_t t)
{
	switch (t) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL:
		return BOOT_MEMORY_USABLE;
	case EFI_ACPI_RECLAIM:
		return BOOT_MEMORY_ACPI_RECLAIMABLE;
	case EFI_ACPI_NVS:
		return BOOT_MEMORY_ACPI_NVS;
	case EFI_UNUSABLE:
		return BOOT_MEMORY_BAD;
	default:
		return BOOT_MEMORY_RESERVED;
	}
}

/* The EFI memory-map tag (size bytes at tag) replaces the regions of the ordinary map, which GRUB
 * derives from it, when it is well formed: every descriptor whole, page-aligned, not wrapping, no
 * two overlapping, some memory usable. Adjacent descriptors of one kind become one region, in
 * address order. Returns the number of problems (GRUB's map is kept then). */
static int mb2_efi_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
	uint32_t dsize = size >= 16 ? get32(tag + 8) : 0;
	if (dsize < EFI_DESCRIPTOR_MIN || dsize > size) {
		log_warn("boot: EFI memory map descriptors of %u bytes are not sane; GRUB's map is used", dsize);
		return 1;
	}
	static struct boot_memory_region r[BOOT_MAX_REGIONS]; /* boot time: one CPU */
	size_t n = 0;
	uint64_t usable = 0;
	uint32_t count = 0;
	for (uint64_t off = 16; off + dsize <= size; off += dsize, count++) {
		uint64_t base = get64(tag + off + 8), pages = get64(tag + off + 24), attr = get64(tag + off + 32);
		uint32_t t = get32(tag + off);
		/* Memory the firmware keeps at run time, or "specific purpose" memory, is not the kernel's. */
		enum boot_memory_type type = memory_type(attr & (EFI_MEMORY_RUNTIME | EFI_MEMORY_SP) ? 2 : efi_type(t));
		if (pages == 0)
			continue;
		if ((base & 4095) || pages > (UINT64_MAX >> 12) || base + (pages << 12) < base) {
			log_warn("boot: EFI memory map descriptor %u (0x%llx, %llu pages) is not sane; GRUB's map is "
				 "used",
				 count, (unsigned long long)base, (unsigned long long)pages);
			return 1;
		}
		usable += type == BOOT_MEMORY_USABLE ? pages << 12 : 0;
		if (n && r[n - 1].type == type && r[n - 1].base + r[n - 1].length == base) {
			r[n - 1].length += pages << 12;
			continue;
		}
		if (n == BOOT_MAX_REGIONS) {
			log_warn("boot: the EFI memory map has more than %d regions; GRUB's map is used",
				 BOOT_MAX_REGIONS);
			return 1;
		}
		r[n++] = (struct boot_memory_region){base, pages << 12, type};
	}
	if (!usable) {
		log_warn("boot: the EFI memory map has no usable memory; GRUB's map is used");
		return 1;
	}
	for (size_t i = 1; i < n; i++) /* into address order (the firmware's usually is) */
		for (size_t j = i; j > 0 && r[j - 1].base > r[j].base; j--) {
			struct boot_memory_region tmp = r[j];
			r[j] = r[j - 1], r[j - 1] = tmp;
		}
	size_t m = 0; /* regions kept after merging neighbours that sorting brought together */
	for (size_t i = 0; i < n; i++) {
		if (m && r[i].base < r[m - 1].base + r[m - 1].length) {
			log_warn("boot: the EFI memory map's ranges at 0x%llx and 0x%llx overlap; GRUB's map is used",
				 (unsigned long long)r[m - 1].base, (unsigned long long)r[i].base);
			return 1;
		}
		if (m && r[i].type == r[m - 1].type && r[i].base == r[m - 1].base + r[m - 1].length)
			r[m - 1].length += r[i].length;
		else
			r[m++] = r[i];
	}
	memcpy(bi->regions, r, m * sizeof(r[0]));
	bi->region_count = m;
	bi->map_source = "UEFI";
	bi->map_entries = count;
	return 0;
}

/* One multiboot2 tag of size bytes (already checked to lie inside the info). */
static int mb2_tag(struct boot_info *bi, uint32_t type, const uint8_t *tag, uint32_t size)
{
	int problems = 0;
	switch (type) {
	case MB2_TAG_CMDLINE:
		copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)tag + 8, size - 8, "command line", &problems);
		break;
	case MB2_TAG_LOADER_NAME:
		copy_str(bi->loader, sizeof(bi->loader), (const char *)tag + 8, size - 8, "bootloader name", &problems);
		break;
	case MB2_TAG_MODULE:
		if (size >= 16) {
			struct boot_module *m = add_module(bi, get32(tag + 8), get32(tag + 12));
			if (m)
				copy_str(m->name, sizeof(m->name), (const char *)tag + 16, size - 16, "module name",
					 &problems);
		}
		break;
	case MB2_TAG_MEMORY_MAP: {
		uint32_t esize = size >= 16 ? get32(tag + 8) : 0;
		if (esize < 24) {
			log_warn("boot: memory map entries of %u bytes are too small; map ignored", esize);
			return 1;
		}
		bi->map_source = "multiboot2", bi->map_entries = 0;
		for (uint64_t off = 16; off + 24 <= size; off += esize, bi->map_entries++)
			if (!add_region(bi, get64(tag + off), get64(tag + off + 8), get32(tag + off + 16)))
				break;
		break;
	}
	case MB2_TAG_ACPI_OLD: /* both kept, whatever the order (UEFI GRUB gives both); acpi.c checks them */
		if (size > 8) {
			bi->rsdp_old_len = size - 8 < sizeof(bi->rsdp_old) ? size - 8 : sizeof(bi->rsdp_old);
			memcpy(bi->rsdp_old, tag + 8, bi->rsdp_old_len);
		}
		break;
	case MB2_TAG_ACPI_NEW:
		if (size > 8) {
			bi->rsdp_len = size - 8 < BOOT_RSDP_MAX ? size - 8 : BOOT_RSDP_MAX;
			memcpy(bi->rsdp, tag + 8, bi->rsdp_len);
			bi->rsdp_new = true;
		}
		break;
	case MB2_TAG_FRAMEBUFFER:
		if (size >= 30)
			set_framebuffer(bi, tag + 8, size >= 38 ? tag + 32 : NULL);
		break;
	}
	return problems;
}

/* GRUB's multiboot2 command line is its menu's words joined by spaces, each word with a backslash
 * before every '\\', '\'' and '"', and in double quotes if it holds a space (its
 * grub_create_loader_cmdline()). Undo that: a backslash keeps the byte after it, an unescaped '"'
 * goes. mkiso writes the whole command line as one word, so the kernel gets exactly it. */
static void grub_cmdline(struct boot_info *bi, const char *src, size_t max)
{
	size_t n = 0, len = 0; /* kept, and the whole line's length once unescaped */
	for (size_t i = 0; i < max && src[i]; i++) {
		if (src[i] == '"')
			continue;
		if (src[i] == '\\' && i + 1 < max && src[i + 1])
			i++;
		if (len++ < sizeof(bi->cmdline) - 1)
			bi->cmdline[n++] = src[i];
	}
	bi->cmdline[n] = '\0';
	if (len > n)
		log_warn("boot: the command line is %zu bytes, over the frame's limit of %zu; cut there", len, n);
}

/* The tags but the command line's, which is left at *cmdline (checked to lie inside the info):
 * how to read it depends on the loader's name, which may come after it. */
static int mb2_tags(struct boot_info *bi, const uint8_t *info, size_t avail, const uint8_t **cmdline)
{
	const uint8_t *efi_mmap = NULL; /* taken after the rest: it replaces the ordinary map */
	uint32_t efi_mmap_size = 0;
	if (avail < 8) {
		log_warn("boot: multiboot2 info of %zu bytes is too short", avail);
		return 1;
	}
	uint32_t total = get32(info);
	int problems = 0;
	if (total > avail || total < 8) {
		log_warn("boot: multiboot2 info claims %u bytes but %zu are there; reading only those", total, avail);
		problems++;
		total = total < 8 ? 8 : (uint32_t)avail;
	}
	for (uint32_t off = 8;; off = (off + get32(info + off + 4) + 7) & ~7u) {
		if (off + 8 > total) {
			log_warn("boot: multiboot2 tag list ends without an end tag (at byte %u of %u)", off, total);
			return problems + 1;
		}
		uint32_t type = get32(info + off), size = get32(info + off + 4);
		if (size < 8 || size > total - off) {
			log_warn("boot: multiboot2 tag %u at byte %u has size %u, past the end (%u); ignoring the rest",
				 type, off, size, total);
			return problems + 1;
		}
		if (type == MB2_TAG_END)
			return problems + (efi_mmap ? mb2_efi_mmap(bi, efi_mmap, efi_mmap_size) : 0);
		if (type == MB2_TAG_EFI_MMAP)
			efi_mmap = info + off, efi_mmap_size = size;
		else if (type == MB2_TAG_CMDLINE)
			*cmdline = info + off;
		else
			problems += mb2_tag(bi, type, info + off, size);
	}
}

int boot_parse_mb2(struct boot_info *bi, const uint8_t *info, size_t avail)
{
	const uint8_t *cmdline = NULL;
	int problems = mb2_tags(bi, info, avail, &cmdline);
	if (cmdline && strncmp(bi->loader, "GRUB", 4) == 0)
		grub_cmdline(bi, (const char *)cmdline + 8, get32(cmdline + 4) - 8);
	else if (cmdline)
		problems += mb2_tag(bi, MB2_TAG_CMDLINE, cmdline, get32(cmdline + 4));
	return problems;
}

/* PVH (QEMU -kernel): struct hvm_start_info, version 1 (Xen's public arch-x86/hvm/start_info.h). */
#define PVH_START_MAGIC 0x336ec578
#define PVH_INFO_V0_SIZE 40	    /* magic .. rsdp_paddr */
#define PVH_INFO_V1_SIZE 56	    /* .. memmap_paddr, memmap_entries, reserved */
#define PVH_MAX_MEMMAP 1024u	    /* more memory map entries are taken as corrupt */
#define PVH_MAX_MODLIST 64u	    /* more modules are taken as corrupt */
#define PVH_MODULE_MAX (1ull << 32) /* a larger module is taken as corrupt */
#define CPIO_HEADER 110		    /* "070701" and 13 fields of 8 hex digits */

/* The linear address of the len bytes at phys that the PVH start info's field what points to, or
 * NULL (said so, and counted in *problems) if phys is 0 or past what the linear map covers: never
 * a read of low memory for an address the frame cannot map. */
static const uint8_t *pvh_map(uint64_t phys, uint64_t len, const char *what, int *problems)
{
	const uint8_t *p = phys ? linear_map_ensure(phys, len) : NULL;
	if (!p) {
		if (phys)
			log_warn("boot: the PVH %s at 0x%llx (%llu bytes) lies beyond the %d GiB the frame maps; "
				 "ignored",
				 what, (unsigned long long)phys, (unsigned long long)len, LINEAR_MAX_GIB);
		else
			log_warn("boot: the PVH %s is at address 0; ignored", what);
		(*problems)++;
	}
	return p;
}

/* A NUL-terminated string the loader gives at phys: the command line, a module's string. One
 * over size - 1 bytes is cut there, and said so by its real length (looked for up to a page
 * further). */
static int pvh_string(char *dst, size_t size, uint64_t phys, const char *what)
{
	int problems = 0;
	const char *src = (const char *)pvh_map(phys, size + 4096, what, &problems);
	if (src)
		copy_str(dst, size, src, size + 4096, what, &problems);
	return problems;
}

/* The value of a cpio field of 8 hex digits, or -1 if one is not a hex digit. */
static int64_t cpio_hex(const uint8_t *field)
{
	int64_t v = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t c = field[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Whether the n bytes at s are a string and its NUL, with no NUL before. */
static bool whole_string(const uint8_t *s, uint64_t n)
{
	for (uint64_t i = 0; i + 1 < n; i++)
		if (!s[i])
			return false;
	return s[n - 1] == '\0';
}

int boot_parse_cpio(struct boot_info *bi, const uint8_t *a, uint64_t size, uint64_t phys)
{
	const char *why = NULL;
	uint64_t off = 0;
	for (;;) {
		if (size - off < CPIO_HEADER || memcmp(a + off, "070701", 6)) {
			why = size - off < CPIO_HEADER ? "it ends before its trailer"
						       : "a member header is not cpio newc";
			break;
		}
		int64_t mode = cpio_hex(a + off + 14), fsize = cpio_hex(a + off + 54), nsize = cpio_hex(a + off + 94);
		uint64_t name = off + CPIO_HEADER, data = (name + (uint64_t)nsize + 3) & ~3ull;
		if (mode < 0 || fsize < 0 || nsize < 0) {
			why = "a header field is not hex";
			break;
		}
		if (nsize < 2 || data > size || !whole_string(a + name, (uint64_t)nsize)) {
			why = "a member name is not a NUL-terminated string inside it";
			break;
		}
		if ((uint64_t)fsize > size - data) {
			why = "a member runs past its end";
			break;
		}
		if (nsize == 11 && !memcmp(a + name, "TRAILER!!!", 11))
			return 0;
		if ((mode & 0170000) == 0100000) {
			struct boot_module *m = add_module(bi, phys + data, phys + data + fsize);
			if (!m)
				return 1;
			int problems = 0;
			copy_str(m->name, sizeof(m->name), (const char *)a + name, nsize, "module name", &problems);
		}
		off = (data + (uint64_t)fsize + 3) & ~3ull;
		if (off > size) {
			why = "its last member's padding runs past its end";
			break;
		}
	}
	log_warn("boot: the initrd's module archive (%llu bytes) is broken at byte %llu: %s; %zu modules "
		 "kept, the rest ignored",
		 (unsigned long long)size, (unsigned long long)off, why, bi->module_count);
	return 1;
}

/* The PVH modules: each a cpio archive of boot modules, or else one module named by its string
 * (or "initrd"). QEMU gives one, -initrd's file. */
static int pvh_modules(struct boot_info *bi, uint64_t list, uint32_t count)
{
	int problems = 0;
	if (count > PVH_MAX_MODLIST) {
		log_warn("boot: PVH start info claims %u modules; taken as corrupt, modules ignored", count);
		return 1;
	}
	const uint8_t *mods = pvh_map(list, (uint64_t)count * 32, "module list", &problems);
	for (uint32_t i = 0; mods && i < count; i++) {
		uint64_t start = get64(mods + i * 32), size = get64(mods + i * 32 + 8);
		uint64_t string = get64(mods + i * 32 + 16);
		if (size > PVH_MODULE_MAX || start + size < start) {
			log_warn("boot: PVH module %u at 0x%llx of %llu bytes is implausible; ignored", i,
				 (unsigned long long)start, (unsigned long long)size);
			problems++;
			continue;
		}
		const uint8_t *data = pvh_map(start, size, "module", &problems);
		if (!data)
			continue;
		if (size >= 6 && !memcmp(data, "070701", 6)) {
			problems += boot_parse_cpio(bi, data, size, start);
			continue;
		}
		struct boot_module *m = add_module(bi, start, start + size);
		if (!m)
			return problems + 1;
		if (string)
			problems += pvh_string(m->name, sizeof(m->name), string, "module name");
		if (!m->name[0])
			memcpy(m->name, "initrd", 7);
	}
	return problems;
}

/* Entries are {u64 base; u64 length; u32 type (e820); u32 reserved}. */
static int pvh_memmap(struct boot_info *bi, uint64_t phys, uint32_t count)
{
	int problems = 0;
	if (count > PVH_MAX_MEMMAP) {
		log_warn("boot: PVH memory map of %u entries is implausible; reading the first %u", count,
			 PVH_MAX_MEMMAP);
		count = PVH_MAX_MEMMAP, problems++;
	}
	const uint8_t *map = pvh_map(phys, (uint64_t)count * 24, "memory map", &problems);
	if (!map)
		return problems;
	bi->map_source = "PVH", bi->map_entries = count;
	for (uint32_t i = 0; i < count; i++)
		if (get64(map + i * 24 + 8) && /* qboot (microvm) ends its map with an empty entry */
		    !add_region(bi, get64(map + i * 24), get64(map + i * 24 + 8), get32(map + i * 24 + 16)))
			return problems + 1;
	return problems;
}

int boot_parse_pvh(struct boot_info *bi, uint64_t info_phys)
{
	int problems = 0;
	const uint8_t *si = pvh_map(info_phys, PVH_INFO_V1_SIZE, "start info", &problems);
	memcpy(bi->loader, "PVH", 4); /* the start info does not name its loader */
	if (!si)
		return problems;
	if (get32(si) != PVH_START_MAGIC) {
		log_warn("boot: the PVH start info at 0x%llx has magic 0x%x, not 0x%x; ignored",
			 (unsigned long long)info_phys, get32(si), PVH_START_MAGIC);
		return 1;
	}
	uint32_t version = get32(si + 4);
	if (get64(si + 24))
		problems += pvh_string(bi->cmdline, sizeof(bi->cmdline), get64(si + 24), "command line");
	if (get32(si + 12))
		problems += pvh_modules(bi, get64(si + 16), get32(si + 12));
	const uint8_t *rsdp = get64(si + 32) ? pvh_map(get64(si + 32), 36, "RSDP", &problems) : NULL;
	if (rsdp) { /* a copy, checked by acpi.c like multiboot2's (36 bytes: ACPI 2.0+) */
		memcpy(bi->rsdp, rsdp, 36);
		bi->rsdp_len = bi->rsdp[15] >= 2 ? 36 : 20;
		bi->rsdp_new = bi->rsdp[15] >= 2;
	}
	if (version >= 1 && get64(si + 40))
		return problems + pvh_memmap(bi, get64(si + 40), get32(si + 48));
	log_warn("boot: PVH start info version %u has no memory map", version);
	return problems + 1;
}

/* Whether [start, end) lies in the memory map's RAM (usable or ACPI reclaimable), region by
 * region: the regions need not be sorted nor merged. */
static bool in_ram(const struct boot_info *bi, uint64_t start, uint64_t end)
{
	while (start < end) {
		size_t i = 0;
		for (; i < bi->region_count; i++) {
			const struct boot_memory_region *r = &bi->regions[i];
			if ((r->type == BOOT_MEMORY_USABLE || r->type == BOOT_MEMORY_ACPI_RECLAIMABLE) &&
			    start >= r->base && start - r->base < r->length)
				break;
		}
		if (i == bi->region_count)
			return false;
		const struct boot_memory_region *r = &bi->regions[i];
		start = r->length > UINT64_MAX - r->base ? end : r->base + r->length;
	}
	return true;
}

int boot_check_modules(struct boot_info *bi, uint64_t image_start, uint64_t image_end)
{
	size_t kept = 0;
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		uint64_t start = m->start, end = m->start + m->size;
		/* An empty module has no bytes to read: kept, at the address 0 (as GRUB gives it), so it
		 * holds back no frame and names no memory. Low memory is no module's problem: the
		 * allocator never hands out the first MiB. */
		const char *why = m->size == 0 ? NULL
				  : end < start || end > LINEAR_MAX_GIB * (1ull << 30)
					  ? "lies beyond what the frame can map"
				  : start < image_end && end > image_start ? "overlaps the kernel image"
				  : !in_ram(bi, start, end)		   ? "is not in the memory map's RAM"
									   : NULL;
		if (why)
			log_warn("boot: module '%s' at 0x%llx-0x%llx %s; ignored", m->name, (unsigned long long)start,
				 (unsigned long long)end, why);
		else {
			bi->modules[kept] = *m;
			if (!m->size)
				bi->modules[kept].start = 0;
			kept++;
		}
	}
	size_t dropped = bi->module_count - kept;
	bi->module_count = kept;
	return (int)dropped;
}

void boot_info_init(uint32_t magic, uint64_t info_phys)
{
	if (magic == MB2_BOOT_MAGIC) { /* from EBX, below 4 GiB: always in the linear map */
		const uint8_t *head = linear_map_ensure(info_phys, 8);
		uint32_t total = get32(head);
		size_t avail = total < MB2_INFO_MAX ? total : MB2_INFO_MAX;
		boot_parse_mb2(&boot_info, linear_map_ensure(info_phys, avail), avail);
	} else if (magic == PVH_START_MAGIC) { /* boot.S let no other magic through */
		boot_parse_pvh(&boot_info, info_phys);
	}
	/* Only now is the memory map known; the allocator keeps the modules left out of its memory. */
	boot_check_modules(&boot_info, (uint64_t)__kernel_start - KERNEL_BASE, (uint64_t)__kernel_end - KERNEL_BASE);
	if (!boot_info.loader[0])
		memcpy(boot_info.loader, "unknown", 8);
}

/* The public API: read-only views of boot_info. */

void boot_info_log(void)
{
	if (boot_info.map_source)
		log_debug("boot: memory map from %s: %u entries in %zu regions", boot_info.map_source,
			  boot_info.map_entries, boot_info.region_count);
}

const char *boot_loader_name(void)
{
	return boot_info.loader;
}
const char *boot_cmdline(void)
{
	return boot_info.cmdline;
}
size_t boot_memory_region_count(void)
{
	return boot_info.region_count;
}

struct boot_memory_region boot_memory_region(size_t index)
{
	REQUIRE(index < boot_info.region_count, "index %zu is out of range (there are %zu regions)", index,
		boot_info.region_count);
	return boot_info.regions[index];
}

const char *boot_memory_type_name(enum boot_memory_type type)
{
	static const char *const names[] = {"unknown", "usable", "reserved", "ACPI reclaimable", "ACPI NVS", "bad"};
	return type >= 1 && type <= 5 ? names[type] : names[0];
}

uint64_t boot_usable_memory(void)
{
	uint64_t total = 0;
	for (size_t i = 0; i < boot_info.region_count; i++)
		if (boot_info.regions[i].type == BOOT_MEMORY_USABLE)
			total += boot_info.regions[i].length;
	return total;
}

size_t boot_module_count(void)
{
	return boot_info.module_count;
}

const char *boot_module_name(size_t index)
{
	REQUIRE(index < boot_info.module_count, "index %zu is out of range (there are %zu modules)", index,
		boot_info.module_count);
	return boot_info.modules[index].name;
}

size_t boot_module_size(size_t index)
{
	REQUIRE(index < boot_info.module_count, "index %zu is out of range (there are %zu modules)", index,
		boot_info.module_count);
	return boot_info.modules[index].size;
}

void boot_module_read(size_t index, size_t offset, void *buf, size_t len)
{
	REQUIRE(index < boot_info.module_count, "index %zu is out of range (there are %zu modules)", index,
		boot_info.module_count);
	const struct boot_module *m = &boot_info.modules[index];
	REQUIRE(buf != NULL || len == 0, "buf must not be NULL (len is %zu)", len);
	REQUIRE(offset <= m->size && len <= m->size - offset,
		"bytes %zu..%zu are past the end of module %zu (%llu bytes)", offset, offset + len, index,
		(unsigned long long)m->size);
	CLIENT_WRITES(buf, len);
	memcpy(buf, (const uint8_t *)linear_map_ensure(m->start, m->size) + offset, len);
}

bool boot_framebuffer(struct boot_framebuffer *out)
{
	REQUIRE(out != NULL, "out must not be NULL");
	CLIENT_OBJECT(out);
	if (boot_info.has_framebuffer)
		*out = boot_info.framebuffer;
	return boot_info.has_framebuffer;
}
