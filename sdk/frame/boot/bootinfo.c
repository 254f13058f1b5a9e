/*
 * Boot information: multiboot2 (GRUB) and multiboot1 (QEMU -kernel) parsed into one struct the
 * frame owns. Every length the bootloader gives is checked against the bytes really there.
 */
#include "boot/bootinfo.h"
#include "mm/kasan.h"
#include "check.h"
#include "lib/bytes.h"
#include <frame/string.h>
#include "mm/linear_map.h"
#include <frame/log.h>

#define MB2_BOOT_MAGIC 0x36d76289
#define MB1_BOOT_MAGIC 0x2badb002
#define MB1_MMAP_MAX (64u << 10)       /* a larger multiboot1 memory map is taken as corrupt */
#define MB1_PATH_MAX 4096u	       /* a longer module path is cut there */
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
};

/* Multiboot1 info flags: which fields the loader filled in (the multiboot specification, 3.3). */
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODULES (1u << 3)
#define MB1_INFO_MEMORY_MAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)
#define MB1_INFO_FRAMEBUFFER (1u << 12)

struct boot_info boot_info;

/* Copy a string of at most max bytes (NUL included) into dst; truncation is reported. */
static void copy_str(char *dst, size_t dst_size, const char *src, size_t max, const char *what, int *problems)
{
	size_t n = 0;
	while (n < max && src[n])
		n++;
	if (n == max && n > 0)
		log_warn("boot: %s is not NUL-terminated within its %zu bytes; cut there", what, max), (*problems)++;
	if (n >= dst_size) {
		log_warn("boot: %s is %zu bytes long; only the first %zu are kept", what, n, dst_size - 1);
		n = dst_size - 1;
	}
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

/* The framebuffer the loader describes at fb (the multiboot1 and multiboot2 layouts agree from
 * the address on: address, pitch, width, height, bits per pixel, type), with the position and
 * size of each colour of an RGB one at colours (NULL if absent). Taken only if its shape is
 * sane: a known type and depth, lines at least as long as their pixels, and at most
 * FRAMEBUFFER_MAX bytes in all. */
static void set_framebuffer(struct boot_info *bi, const uint8_t *fb, const uint8_t *colours)
{
	uint64_t phys = get64(fb), pitch = get32(fb + 8), w = get32(fb + 12), h = get32(fb + 16);
	uint8_t bpp = fb[20], type = fb[21];
	bool depth_ok = type == BOOT_FRAMEBUFFER_TEXT ? bpp == 16
						      : bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
	if (type > BOOT_FRAMEBUFFER_TEXT || !depth_ok || !w || !h || pitch < (w * bpp + 7) / 8 ||
	    pitch * h > FRAMEBUFFER_MAX || phys + pitch * h < phys) {
		log_warn("boot: framebuffer %llux%llu, %u bits per pixel, type %u, pitch %llu is not sane; ignored",
			 (unsigned long long)w, (unsigned long long)h, bpp, type, (unsigned long long)pitch);
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
		for (uint64_t off = 16; off + 24 <= size; off += esize)
			if (!add_region(bi, get64(tag + off), get64(tag + off + 8), get32(tag + off + 16)))
				break;
		break;
	}
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		/* The new tag wins whatever the order (UEFI GRUB gives both); acpi.c checks the copy. */
		if (size > 8 && (type == MB2_TAG_ACPI_NEW || !bi->rsdp_new)) {
			uint32_t n = size - 8 < BOOT_RSDP_MAX ? size - 8 : BOOT_RSDP_MAX;
			memcpy(bi->rsdp, tag + 8, n);
			bi->rsdp_len = n;
			bi->rsdp_new = type == MB2_TAG_ACPI_NEW;
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
	size_t n = 0;
	for (size_t i = 0; i < max && src[i]; i++) {
		if (src[i] == '"')
			continue;
		if (src[i] == '\\' && i + 1 < max && src[i + 1])
			i++;
		if (n == sizeof(bi->cmdline) - 1) {
			log_warn("boot: command line is over %zu bytes long; only the first %zu are kept",
				 sizeof(bi->cmdline) - 1, sizeof(bi->cmdline) - 1);
			break;
		}
		bi->cmdline[n++] = src[i];
	}
	bi->cmdline[n] = '\0';
}

/* The tags but the command line's, which is left at *cmdline (checked to lie inside the info):
 * how to read it depends on the loader's name, which may come after it. */
static int mb2_tags(struct boot_info *bi, const uint8_t *info, size_t avail, const uint8_t **cmdline)
{
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
			return problems;
		if (type == MB2_TAG_CMDLINE)
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

/* A string the multiboot1 info points to, read through the linear map. */
static void mb1_string(char *dst, size_t size, uint32_t phys, const char *what)
{
	int problems = 0;
	const char *src = linear_map_ensure(phys, size);
	copy_str(dst, size, src, size, what, &problems);
}

/* A multiboot1 module's string is QEMU's -initrd entry, "path name": its name is what follows the
 * path, or the path's last component if nothing does. So it is named as GRUB's multiboot2 names
 * it ("module2 /boot/modules/name name" gives the string "name"). */
static void mb1_module_name(char *dst, size_t size, uint32_t phys)
{
	const char *s = linear_map_ensure(phys, MB1_PATH_MAX + size);
	size_t end = 0, base = 0;
	while (end < MB1_PATH_MAX && s[end] && s[end] != ' ')
		if (s[end++] == '/')
			base = end;
	int problems = 0;
	if (s[end] == ' ')
		copy_str(dst, size, s + end + 1, size, "module name", &problems);
	else
		copy_str(dst, size, s + base, end - base + 1, "module name", &problems);
}

/* Entries are {u32 size; u64 base; u64 length; u32 type}, the next one size + 4 bytes on. */
static void parse_mb1_mmap(struct boot_info *bi, uint32_t phys, uint32_t len)
{
	if (len > MB1_MMAP_MAX) {
		log_warn("boot: multiboot1 memory map of %u bytes is implausible; reading the first %u", len,
			 MB1_MMAP_MAX);
		len = MB1_MMAP_MAX;
	}
	const uint8_t *map = linear_map_ensure(phys, len);
	for (uint64_t off = 0; off + 24 <= len;) {
		uint32_t size = get32(map + off);
		if (size < 20 || size > len - off - 4) {
			log_warn("boot: multiboot1 memory map entry of %u bytes at byte %llu is malformed; map cut "
				 "there",
				 size, (unsigned long long)off);
			return;
		}
		if (!add_region(bi, get64(map + off + 4), get64(map + off + 12), get32(map + off + 20)))
			return;
		off += (uint64_t)size + 4;
	}
}

static void parse_mb1(struct boot_info *bi, uint64_t info_phys)
{
	const uint8_t *mbi = linear_map_ensure(info_phys, 120);
	uint32_t flags = get32(mbi);
	if (flags & MB1_INFO_CMDLINE) { /* multiboot1 puts the kernel's file name first: skip it */
		const char *line = linear_map_ensure(get32(mbi + 16), BOOT_NAME_MAX + BOOT_CMDLINE_MAX);
		size_t skip = 0;
		while (skip < BOOT_NAME_MAX && line[skip] && line[skip] != ' ')
			skip++;
		int problems = 0;
		copy_str(bi->cmdline, sizeof(bi->cmdline), line + skip + (line[skip] == ' '), BOOT_CMDLINE_MAX,
			 "command line", &problems);
	}
	if (flags & MB1_INFO_LOADER_NAME)
		mb1_string(bi->loader, sizeof(bi->loader), get32(mbi + 64), "bootloader name");
	if (flags & MB1_INFO_MODULES) {
		uint32_t count = get32(mbi + 20);
		if (count > BOOT_MAX_MODULES) {
			log_warn("boot: %u modules; only the first %d are kept", count, BOOT_MAX_MODULES);
			count = BOOT_MAX_MODULES;
		}
		const uint8_t *mods = linear_map_ensure(get32(mbi + 24), (uint64_t)count * 16);
		for (uint32_t i = 0; i < count; i++) {
			struct boot_module *m = add_module(bi, get32(mods + i * 16), get32(mods + i * 16 + 4));
			if (m)
				mb1_module_name(m->name, sizeof(m->name), get32(mods + i * 16 + 8));
		}
	}
	if (flags & MB1_INFO_MEMORY_MAP)
		parse_mb1_mmap(bi, get32(mbi + 48), get32(mbi + 44));
	if (flags & MB1_INFO_FRAMEBUFFER)
		set_framebuffer(bi, mbi + 88, mbi + 110);
}

void boot_info_init(uint32_t magic, uint64_t info_phys)
{
	if (magic == MB2_BOOT_MAGIC) {
		const uint8_t *head = linear_map_ensure(info_phys, 8);
		uint32_t total = get32(head);
		size_t avail = total < MB2_INFO_MAX ? total : MB2_INFO_MAX;
		boot_parse_mb2(&boot_info, linear_map_ensure(info_phys, avail), avail);
	} else if (magic == MB1_BOOT_MAGIC) { /* boot.S let no other magic through */
		parse_mb1(&boot_info, info_phys);
	}
	if (!boot_info.loader[0])
		memcpy(boot_info.loader, "unknown", 8);
}

/* The public API: read-only views of boot_info. */

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
