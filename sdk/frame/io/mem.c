/*
 * Windows onto device memory: a range the frame found (a PCI BAR, the framebuffer), checked to
 * be device memory and nobody else's, mapped uncached in the kernel area, and reached only
 * through checked reads and writes at offsets: no driver ever holds a pointer into it. A window
 * may cover an MSI-X table, which the frame programs: it has a hole there.
 */
#include "io/io.h"
#include "mm/kasan.h"
#include "arch/x86_64/x86.h"
#include "boot/bootinfo.h"
#include "check.h"
#include "core/cpu_local.h"
#include "lib/format.h"
#include "mm/kernel_area.h"
#include "mm/page_table.h"
#include "pci/pci.h"
#include "mm/heap.h"
#include <frame/heap.h>
#include <frame/log.h>
#include <frame/panic.h>
#include <stdbool.h>

#define MEM_MAGIC 0x4d4d494fu /* "MMIO" */

/* Ranges no window may cover although nothing maps them (yet). */
#define MAX_RESERVED 4
static struct {
	uint64_t phys, size;
	const char *owner;
} reserved[MAX_RESERVED];
static unsigned reserved_count;

void io_mem_reserve(uint64_t phys, uint64_t size, const char *owner)
{
	if (reserved_count == MAX_RESERVED)
		panic("io_mem_reserve: more than %d reserved ranges", MAX_RESERVED);
	reserved[reserved_count++] = (typeof(reserved[0])){phys, size, owner};
}

/* The owner of a reserved range that overlaps [phys, phys + size), or NULL. */
static const char *reserved_in(uint64_t phys, uint64_t size)
{
	for (unsigned i = 0; i < reserved_count; i++)
		if (phys < reserved[i].phys + reserved[i].size && reserved[i].phys < phys + size)
			return reserved[i].owner;
	return NULL;
}

/* Device memory a driver's window may cover but not touch: MSI-X tables (a device sends its
 * messages where its table says, so the table is the frame's). The frame maps one for itself
 * when it first programs it. */
#define MAX_GUARDS 64
static struct guard {
	uint64_t phys, size;
	volatile void *mapped; /* the frame's mapping, once made */
	char owner[40];
} guards[MAX_GUARDS];
static unsigned guard_count;

int io_mem_guard(uint64_t phys, uint64_t size, const char *owner)
{
	if (guard_count == MAX_GUARDS)
		return -1;
	struct guard *g = &guards[guard_count];
	g->phys = phys;
	g->size = size;
	format_buf(g->owner, sizeof(g->owner), "%s", owner);
	return (int)guard_count++;
}

/* The guarded range that overlaps [phys, phys + size): its index; -1 for none, -2 for several. */
static int guard_in(uint64_t phys, uint64_t size)
{
	int found = -1;
	for (unsigned i = 0; i < guard_count; i++)
		if (phys < guards[i].phys + guards[i].size && guards[i].phys < phys + size)
			found = found == -1 ? (int)i : -2;
	return found;
}

struct io_mem {
	uint32_t magic;
	volatile uint8_t *base; /* in the kernel area */
	uint64_t size;
	uint64_t hole, hole_size; /* the part of a guarded range it covers, which no access may touch */
	const char *hole_owner;
};

/* The CPU's physical address width in bits (CPUID 0x80000008), 36 where it does not say. */
static unsigned phys_bits(void)
{
	uint32_t a, b, c, d;
	cpuid(0x80000000u, &a, &b, &c, &d);
	if (a < 0x80000008u)
		return 36;
	cpuid(0x80000008u, &a, &b, &c, &d);
	return a & 0xff;
}

const char *io_mem_ram_in(uint64_t phys, uint64_t size)
{
	for (size_t i = 0; i < boot_info.region_count; i++) {
		const struct boot_memory_region *r = &boot_info.regions[i];
		if (r->type != BOOT_MEMORY_RESERVED && phys < r->base + r->length && r->base < phys + size)
			return boot_memory_type_name(r->type);
	}
	return NULL;
}

/* Whether [phys, phys + size) may be mapped: ERR_INVAL for an empty range or one past the CPU's
 * physical address width; ERR_DENIED (with a warning) for RAM or the frame's own device memory,
 * except's mapping apart; ERR_BUSY for a driver's window, unless windows_ok; else ERR_OK. */
/* Below 4 GiB, from the IOAPIC up: the chipset's registers (IOAPIC, HPET, local APIC; the
 * HPET's interrupt routes can make the chipset write memory) and the firmware's ROM. No device
 * window goes there, whatever a BAR claims. */
#define CHIPSET_START 0xfec00000ull
#define CHIPSET_END 0x100000000ull

static enum err range_check(uint64_t phys, uint64_t size, const char *except, bool windows_ok)
{
	if (!size || phys + size < phys || phys + size > (1ull << phys_bits()))
		return ERR_INVAL;
	const char *ram = io_mem_ram_in(phys, size), *owner = reserved_in(phys, size);
	if (phys < CHIPSET_END && phys + size > CHIPSET_START) {
		log_warn("io: 0x%llx-0x%llx reaches into 0x%llx-0x%llx, the chipset's own registers (IOAPIC, HPET, "
			 "local APIC) and the firmware: refused",
			 (unsigned long long)phys, (unsigned long long)(phys + size - 1), CHIPSET_START,
			 CHIPSET_END - 1);
		return ERR_DENIED;
	}
	if (ram) {
		log_warn("io: 0x%llx-0x%llx is %s memory, not a device's: refused", (unsigned long long)phys,
			 (unsigned long long)(phys + size - 1), ram);
		return ERR_DENIED;
	}
	bool mapped = owner || kernel_area_device_mapped(phys, size, except, &owner);
	if (mapped && owner) {
		log_warn("io: 0x%llx-0x%llx holds %s, the frame's: refused", (unsigned long long)phys,
			 (unsigned long long)(phys + size - 1), owner);
		return ERR_DENIED;
	}
	return mapped && !windows_ok ? ERR_BUSY : ERR_OK;
}

const char *io_mem_frame_refuses(uint64_t phys, uint64_t size)
{
	IRQ_OFF_SCOPE();
	const char *owner = NULL;
	if (!size || phys + size < phys || phys + size > (1ull << phys_bits()))
		return "past the CPU's physical address width";
	if (io_mem_ram_in(phys, size))
		return "RAM";
	if ((owner = reserved_in(phys, size)) != NULL)
		return owner;
	if (kernel_area_device_mapped(phys, size, NULL, &owner))
		return owner ? owner : "a driver's window";
	return pci_bar_covers(phys, size) ? "a PCI device's BAR" : NULL;
}

volatile void *io_mem_guard_map(int guard)
{
	struct guard *g = &guards[guard];
	if (!g->mapped && range_check(g->phys, g->size, g->owner, true) == ERR_OK)
		g->mapped = kernel_area_map_device(g->phys, g->size, PTE_CACHE_UC, g->owner);
	return g->mapped;
}

enum err io_mem_create(struct io_mem **out, uint64_t phys, uint64_t size, bool write_combining)
{
	int g = guard_in(phys, size);
	if (g == -2) {
		log_warn("io: 0x%llx-0x%llx holds the MSI-X tables of several devices: refused",
			 (unsigned long long)phys, (unsigned long long)(phys + size - 1));
		return ERR_DENIED;
	}
	IRQ_OFF_SCOPE(); /* from check to map: no other task maps the same range in between */
	enum err e = range_check(phys, size, g >= 0 ? guards[g].owner : NULL, false);
	if (e != ERR_OK)
		return e;
	struct io_mem *m = HEAP_NEW(struct io_mem);
	volatile void *va =
		m ? kernel_area_map_device(phys, size, write_combining ? PTE_CACHE_WC : PTE_CACHE_UC, NULL) : NULL;
	if (!va) {
		heap_free(m);
		return ERR_NOMEM;
	}
	*m = (struct io_mem){.magic = MEM_MAGIC, .base = va, .size = size};
	if (g >= 0) { /* the part of the guarded range inside the window */
		uint64_t lo = guards[g].phys > phys ? guards[g].phys : phys;
		uint64_t hi =
			guards[g].phys + guards[g].size < phys + size ? guards[g].phys + guards[g].size : phys + size;
		m->hole = lo - phys;
		m->hole_size = hi - lo;
		m->hole_owner = guards[g].owner;
	}
	*out = m;
	return ERR_OK;
}

enum err io_mem_map_framebuffer(struct io_mem **out)
{
	REQUIRE(out != NULL, "out must not be NULL");
	REQUIRE(cpu_local.irq_depth == 0, "memory windows are made by tasks, not in interrupt context");
	CLIENT_OBJECT(out);
	if (!boot_info.has_framebuffer)
		return ERR_UNSUPPORTED;
	const struct boot_framebuffer *fb = &boot_info.framebuffer;
	return io_mem_create(out, boot_info.framebuffer_phys, (uint64_t)fb->pitch * fb->height,
			     fb->type != BOOT_FRAMEBUFFER_TEXT);
}

#define REQUIRE_MEM(m) \
	REQUIRE((m) != NULL && heap_readable((m), sizeof(*(m))) && (m)->magic == MEM_MAGIC, \
		"%p is not a live memory window (released already, or never acquired?)", (const void *)(m))

void io_mem_release(struct io_mem *mem)
{
	REQUIRE_MEM(mem);
	REQUIRE(cpu_local.irq_depth == 0, "memory windows are released by tasks, not in interrupt context");
	kernel_area_unmap_device(mem->base);
	mem->magic = 0;
	heap_free(mem);
}

uint64_t io_mem_size(const struct io_mem *mem)
{
	REQUIRE_MEM(mem);
	return mem->size;
}

/* Whether len bytes at offset touch the window's hole. */
static bool in_hole(const struct io_mem *m, uint64_t offset, uint64_t len)
{
	return m->hole_size && len && offset < m->hole + m->hole_size && m->hole < offset + len;
}

#define HOLE_RULE "%llu bytes at offset 0x%llx touch %s (offsets 0x%llx-0x%llx of the window), which the frame programs"
#define HOLE_ARGS(m, offset, len) \
	(unsigned long long)(len), (unsigned long long)(offset), (m)->hole_owner, (unsigned long long)(m)->hole, \
		(unsigned long long)((m)->hole + (m)->hole_size - 1)

/* The checks every access makes, in the public function itself: a live window, and an access
 * of width bytes inside it, aligned to its width, outside its hole. */
#define REQUIRE_MEM_ACCESS(m, offset, width) \
	do { \
		REQUIRE_MEM(m); \
		REQUIRE((offset) < (m)->size && (m)->size - (offset) >= (width), \
			"a %u-byte access at offset 0x%llx leaves the window (0x%llx bytes)", (width), \
			(unsigned long long)(offset), (unsigned long long)(m)->size); \
		REQUIRE((offset) % (width) == 0, "offset 0x%llx is not aligned for a %u-byte access", \
			(unsigned long long)(offset), (width)); \
		REQUIRE(!in_hole(m, offset, width), HOLE_RULE, HOLE_ARGS(m, offset, width)); \
	} while (0)

uint8_t io_mem_read8(struct io_mem *mem, uint64_t offset)
{
	REQUIRE_MEM_ACCESS(mem, offset, 1u);
	return *(volatile uint8_t *)(mem->base + offset);
}

uint16_t io_mem_read16(struct io_mem *mem, uint64_t offset)
{
	REQUIRE_MEM_ACCESS(mem, offset, 2u);
	return *(volatile uint16_t *)(mem->base + offset);
}

uint32_t io_mem_read32(struct io_mem *mem, uint64_t offset)
{
	REQUIRE_MEM_ACCESS(mem, offset, 4u);
	return *(volatile uint32_t *)(mem->base + offset);
}

uint64_t io_mem_read64(struct io_mem *mem, uint64_t offset)
{
	REQUIRE_MEM_ACCESS(mem, offset, 8u);
	return *(volatile uint64_t *)(mem->base + offset);
}

void io_mem_write8(struct io_mem *mem, uint64_t offset, uint8_t value)
{
	REQUIRE_MEM_ACCESS(mem, offset, 1u);
	*(volatile uint8_t *)(mem->base + offset) = value;
}

void io_mem_write16(struct io_mem *mem, uint64_t offset, uint16_t value)
{
	REQUIRE_MEM_ACCESS(mem, offset, 2u);
	*(volatile uint16_t *)(mem->base + offset) = value;
}

void io_mem_write32(struct io_mem *mem, uint64_t offset, uint32_t value)
{
	REQUIRE_MEM_ACCESS(mem, offset, 4u);
	*(volatile uint32_t *)(mem->base + offset) = value;
}

void io_mem_write64(struct io_mem *mem, uint64_t offset, uint64_t value)
{
	REQUIRE_MEM_ACCESS(mem, offset, 8u);
	*(volatile uint64_t *)(mem->base + offset) = value;
}

/* Copy len bytes between the window at at and buf, 8 bytes at a time where both allow. */
static void copy_window(volatile uint8_t *at, uint8_t *buf, size_t len, bool to_window)
{
	size_t i = 0;
	if (((uintptr_t)at | (uintptr_t)buf) % 8 == 0)
		for (; len - i >= 8; i += 8) {
			if (to_window)
				*(volatile uint64_t *)(at + i) = *(const uint64_t *)(buf + i);
			else
				*(uint64_t *)(buf + i) = *(volatile const uint64_t *)(at + i);
		}
	for (; i < len; i++) {
		if (to_window)
			at[i] = buf[i];
		else
			buf[i] = at[i];
	}
}

/* The checks of a bulk copy: a live window, buf, and a range inside the window. */
#define REQUIRE_MEM_RANGE(m, offset, buf, len) \
	do { \
		REQUIRE_MEM(m); \
		REQUIRE((buf) != NULL || (len) == 0, "buf must not be NULL (len is %zu)", (len)); \
		REQUIRE((offset) <= (m)->size && (m)->size - (offset) >= (len), \
			"%zu bytes at offset 0x%llx leave the window (0x%llx bytes)", (len), \
			(unsigned long long)(offset), (unsigned long long)(m)->size); \
		REQUIRE(!in_hole(m, offset, len), HOLE_RULE, HOLE_ARGS(m, offset, len)); \
	} while (0)

void io_mem_read(struct io_mem *mem, uint64_t offset, void *buf, size_t len)
{
	REQUIRE_MEM_RANGE(mem, offset, buf, len);
	CLIENT_WRITES(buf, len);
	copy_window(mem->base + offset, buf, len, false);
}

void io_mem_write(struct io_mem *mem, uint64_t offset, const void *buf, size_t len)
{
	REQUIRE_MEM_RANGE(mem, offset, buf, len);
	CLIENT_READS(buf, len);
	copy_window(mem->base + offset, (uint8_t *)buf, len, true);
}
