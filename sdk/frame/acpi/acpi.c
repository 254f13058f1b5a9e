/* ACPI tables read as hostile input: the RSDP, then the RSDT or XSDT, then the table asked for;
 * every length and checksum checked. The parsers of single tables live with their users
 * (irq/madt.c, pci/config.c). */
#include "acpi/acpi.h"
#include "boot/bootinfo.h"
#include "lib/bytes.h"
#include "mm/linear_map.h"
#include <frame/log.h>
#include <frame/string.h>

#define SDT_MAX_LEN (1u << 20) /* a longer table is taken as corrupt */
#define RSDP_V1_LEN 20	       /* ACPI 1.0 part: signature, checksum, OEM id, revision, RSDT */
#define RSDP_V2_LEN 36	       /* ACPI 2.0+: length, XSDT, extended checksum */
#define RSDP_MAX_LEN 4096      /* a longer RSDP is taken as corrupt */
#define EBDA_SEGMENT_PTR 0x40e /* BIOS data area: real-mode segment of the EBDA */
#define EBDA_END 0xa0000       /* the EBDA lies below the video memory */
#define BIOS_ROM 0xe0000       /* the BIOS read-only area the RSDP may be in */
#define BIOS_ROM_END 0x100000

bool acpi_checksum_ok(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

bool acpi_table_ok(const uint8_t *t, size_t len, const char *sig, uint32_t min_len, const char *name)
{
	if (len < min_len || memcmp(t, sig, 4)) {
		log_warn("acpi: %s of %zu bytes is too short or misnamed", name, len);
		return false;
	}
	uint32_t total = get32(t + 4);
	if (total < min_len || total > len) {
		log_warn("acpi: %s claims %u bytes but %zu are there", name, total, len);
		return false;
	}
	if (!acpi_checksum_ok(t, total)) {
		log_warn("acpi: %s checksum is wrong", name);
		return false;
	}
	return true;
}

/* Map the ACPI table at physical addr. Returns it with *len its length, or NULL when it lies
 * beyond the linear map or its length is shorter than a header or longer than SDT_MAX_LEN. */
static const uint8_t *table_map(uint64_t addr, uint32_t *len)
{
	const uint8_t *h = linear_map_ensure(addr, ACPI_HEADER_LEN);
	if (!h)
		return NULL;
	*len = get32(h + 4);
	if (*len < ACPI_HEADER_LEN || *len > SDT_MAX_LEN)
		return NULL;
	return linear_map_ensure(addr, *len);
}

/* The physical address of a valid RSDP in [start, start + len) on a 16-byte boundary, or 0. */
static uint64_t rsdp_scan(uint64_t start, uint64_t len)
{
	const uint8_t *p = linear_map_ensure(start, len);
	for (uint64_t off = 0; p && off + RSDP_V1_LEN <= len; off += 16)
		if (!memcmp(p + off, "RSD PTR ", 8) && acpi_checksum_ok(p + off, RSDP_V1_LEN))
			return start + off;
	return 0;
}

/* The RSDP: in the first KiB of the EBDA, else in the BIOS area. Returns its address, or 0. */
static uint64_t rsdp_scan_all(void)
{
	const uint8_t *bda = linear_map_ensure(EBDA_SEGMENT_PTR, 2);
	uint64_t ebda = bda ? (uint64_t)get16(bda) << 4 : 0, found = 0;
	if (ebda && ebda + 1024 <= EBDA_END)
		found = rsdp_scan(ebda, 1024);
	return found ? found : rsdp_scan(BIOS_ROM, BIOS_ROM_END - BIOS_ROM);
}

bool acpi_rsdp_copy_ok(const uint8_t *r, uint32_t avail)
{
	if (avail < RSDP_V1_LEN || memcmp(r, "RSD PTR ", 8) || !acpi_checksum_ok(r, RSDP_V1_LEN))
		return false;
	if (r[15] < 2 || avail == RSDP_V1_LEN) /* an ACPI 1.0 copy: its RSDT is all it gives */
		return true;
	uint32_t len = avail >= RSDP_V2_LEN ? get32(r + 20) : 0;
	return len >= RSDP_V2_LEN && len <= avail && acpi_checksum_ok(r, len);
}

/* The RSDP, looked for once (every table lookup needs it; the scan reads up to 128 KiB): the
 * boot loader's copies (multiboot2's ACPI tags, PVH's pointer: UEFI machines may have none in the
 * BIOS area), the ACPI 2.0+ one first, else the BIOS-area scan. Returns a pointer to it with
 * *avail its bytes readable, or NULL. */
static const uint8_t *rsdp_find(uint32_t *avail)
{
	static const uint8_t *rsdp;
	static uint32_t rsdp_avail;
	static bool searched;
	if (!searched) {
		searched = true;
		if (acpi_rsdp_copy_ok(boot_info.rsdp, boot_info.rsdp_len)) {
			rsdp = boot_info.rsdp;
			rsdp_avail = boot_info.rsdp_len;
			log_debug("acpi: RSDP from the boot loader's %s copy",
				  boot_info.rsdp_new ? "ACPI 2.0" : "ACPI 1.0");
		} else if (acpi_rsdp_copy_ok(boot_info.rsdp_old, boot_info.rsdp_old_len)) {
			rsdp = boot_info.rsdp_old;
			rsdp_avail = boot_info.rsdp_old_len;
			log_debug("acpi: RSDP from the boot loader's ACPI 1.0 copy");
		} else {
			if (boot_info.rsdp_len || boot_info.rsdp_old_len)
				log_warn("acpi: the boot loader's RSDP copy is broken; scanning the BIOS area");
			uint64_t phys = rsdp_scan_all();
			const uint8_t *r = phys ? linear_map_ensure(phys, RSDP_V2_LEN) : NULL;
			uint32_t len = r && r[15] >= 2 ? get32(r + 20) : RSDP_V2_LEN;
			rsdp_avail = len > RSDP_V2_LEN && len <= RSDP_MAX_LEN ? len : RSDP_V2_LEN;
			rsdp = r ? linear_map_ensure(phys, rsdp_avail) : NULL;
		}
	}
	*avail = rsdp_avail;
	return rsdp;
}

/* The root table the RSDP at r (avail bytes readable) names: the XSDT (8-byte entries) when
 * ACPI 2.0+ gives a valid one, else the RSDT (4-byte entries). Returns its address and sets
 * *entry_size. */
static uint64_t root_table(const uint8_t *r, uint32_t avail, unsigned *entry_size)
{
	uint32_t len = avail >= RSDP_V2_LEN ? get32(r + 20) : 0;
	if (r[15] >= 2 && len >= RSDP_V2_LEN && len <= avail && acpi_checksum_ok(r, len) && get64(r + 24)) {
		*entry_size = 8;
		return get64(r + 24);
	}
	*entry_size = 4;
	return get32(r + 16);
}

/* The root table, checked: returns it with *len its length and *entry_size the size of its
 * entries, or NULL (after a warning when there is an RSDP but its root table is broken). */
static const uint8_t *root_map(uint32_t *len, unsigned *entry_size)
{
	uint32_t avail;
	const uint8_t *rsdp = rsdp_find(&avail);
	if (!rsdp) {
		log_debug("acpi: no RSDP");
		return NULL;
	}
	uint64_t root = root_table(rsdp, avail, entry_size);
	const uint8_t *t = table_map(root, len);
	if (!t || memcmp(t, *entry_size == 8 ? "XSDT" : "RSDT", 4) || !acpi_checksum_ok(t, *len)) {
		log_warn("acpi: the root table at 0x%llx is broken", (unsigned long long)root);
		return NULL;
	}
	return t;
}

const uint8_t *acpi_find_table(const char *sig, uint32_t *len)
{
	uint32_t root_len, n;
	unsigned entry_size;
	const uint8_t *t = root_map(&root_len, &entry_size);
	for (uint32_t off = ACPI_HEADER_LEN; t && off + entry_size <= root_len; off += entry_size) {
		uint64_t addr = entry_size == 8 ? get64(t + off) : get32(t + off);
		const uint8_t *s = table_map(addr, &n);
		if (s && !memcmp(s, sig, 4)) {
			*len = n;
			return s;
		}
	}
	log_debug("acpi: no %.4s table", sig);
	return NULL;
}
