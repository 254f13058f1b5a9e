/*
 * DMA remapping with Intel VT-d. Every remapping unit the ACPI DMAR lists translates the DMA of
 * the devices it holds through one page table per device (a domain), identity-mapped (device
 * address = physical address) for exactly the pages of the device's live DMA objects. A DMA
 * anywhere else is blocked: the unit records a fault and signals it with a message interrupt,
 * and the frame prints it. Legacy (not scalable) mode, register-based invalidation, no
 * interrupt remapping (compatibility-format messages pass).
 *
 * The domains' page tables go through mm/page_table.h: a second-level entry is an x86 entry
 * read as bit 0 read, bit 1 write (bit 2, which pt_walk() sets in tables for user addresses, is
 * ignored in legacy mode). The leaf entries are written here, not with pt_map() and pt_unmap():
 * a page's rights are the union of the device's DMA objects over it, and what must be dropped is
 * the unit's IOTLB, not the CPU's TLB.
 */
#include "iommu/iommu.h"
#include "acpi/acpi.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "io/io.h"
#include "iommu/dmar.h"
#include "irq/irq.h"
#include "mm/frame_alloc.h"
#include "mm/kernel_area.h"
#include "mm/page_table.h"
#include "pci/pci.h"
#include <frame/log.h>
#include <frame/panic.h>
#include <frame/string.h>

/* Registers (VT-d specification, chapter 11). */
#define REG_CAP 0x08
#define REG_ECAP 0x10
#define REG_GCMD 0x18
#define REG_GSTS 0x1c
#define REG_RTADDR 0x20
#define REG_CCMD 0x28
#define REG_FSTS 0x34
#define REG_FECTL 0x38
#define REG_FEDATA 0x3c
#define REG_FEADDR 0x40
#define REG_FEUADDR 0x44
#define REG_PMEN 0x64

#define CAP_ND(c) ((unsigned)(c)&7) /* 2^(4 + 2 ND) domain ids; 7 is reserved */
#define CAP_RWBF (1ull << 4)	    /* the unit needs its write buffer flushed after table writes */
#define CAP_PLMR (1ull << 5)	    /* protected memory regions (PMEN) */
#define CAP_PHMR (1ull << 6)
#define CAP_CM (1ull << 7) /* caching mode: even absent entries may be cached */
#define CAP_SAGAW(c) ((unsigned)((c) >> 8) & 0x1f)
#define SAGAW_3_LEVEL 0x2 /* 39-bit device addresses */
#define SAGAW_4_LEVEL 0x4 /* 48-bit */
#define CAP_MGAW(c) (((unsigned)((c) >> 16) & 0x3f) + 1)
#define CAP_FRO(c) (((unsigned)((c) >> 24) & 0x3ff) * 16) /* the fault records' offset */
#define CAP_NFR(c) (((unsigned)((c) >> 40) & 0xff) + 1)	  /* how many there are */
#define CAP_DWD (1ull << 54)
#define CAP_DRD (1ull << 55)
#define ECAP_C (1ull << 0)				  /* the unit's table walks snoop the CPU's caches */
#define ECAP_IRO(e) (((unsigned)((e) >> 8) & 0x3ff) * 16) /* the IOTLB registers' offset */

#define GCMD_TE (1u << 31) /* translation enable */
#define GCMD_SRTP (1u << 30)
#define GCMD_WBF (1u << 27)
#define GCMD_QIE (1u << 26)
#define GCMD_IRE (1u << 25)
#define GSTS_TES (1u << 31)
#define GSTS_RTPS (1u << 30)
#define GSTS_WBFS (1u << 27)
#define GSTS_QIES (1u << 26)
#define GSTS_IRES (1u << 25)
#define GSTS_ONE_SHOT 0x69000000u /* SRTP, SFL, WBF, SIRTP: never written back as they read */

#define CCMD_ICC (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define CCMD_CAIG 59 /* the granularity done, 2 bits: 0 if the unit refused the request */
#define IOTLB_IVT (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DOMAIN (2ull << 60)
#define IOTLB_IAIG 57
#define IOTLB_DR (1ull << 49) /* drain reads and writes in flight first */
#define IOTLB_DW (1ull << 48)

#define FSTS_PFO (1u << 0) /* a fault was lost: every record was full */
#define FSTS_FRI(v) ((v) >> 8 & 0xff)
#define FECTL_IM (1u << 31)
#define FRCD_F (1ull << 63) /* in a record's upper half: it holds a fault */
#define FRCD_READ (1ull << 62)
#define FRCD_REASON(hi) ((unsigned)((hi) >> 32) & 0xff)
#define FRCD_SID(hi) ((unsigned)(hi)&0xffff)
#define PMEN_PRS (1u << 0)
#define MSI_ADDRESS 0xfee00000u

/* Tables (chapter 9): a root table of 256 entries (one per bus) and a context table per bus of
 * 256 (one per device and function), 16 bytes an entry. */
#define ROOT_P 1ull
#define CONTEXT_P 1ull
#define CONTEXT_AW(levels) ((uint64_t)(levels)-2) /* 1: 3-level tables, 2: 4-level */
#define CONTEXT_DID(did) ((uint64_t)(did) << 8)
#define SL_R PTE_P /* a second-level entry: read and write rights */
#define SL_W PTE_W

#define WAIT_READS 1000000 /* reads of a register before a unit counts as dead: about a second */
#define REG_SECONDARY_BUS 0x19
#define REG_SUBORDINATE_BUS 0x1a
#define PCIE_TYPE_PCI_BRIDGE 0x7 /* a PCI Express to PCI bridge */

/* A remapping unit. */
struct unit {
	uint64_t phys; /* its registers */
	volatile void *regs;
	uint64_t cap, ecap;
	int levels;		 /* of its domains' page tables */
	uint32_t dids, next_did; /* domain ids: how many, the next free one (0 is never used) */
	uint64_t *root;		 /* the root table, where the frame writes it (pt_target()) */
	bool on;		 /* translating */
};

/* A domain: the pages one requester id may reach. Devices behind a bridge to conventional PCI
 * share their bridge's id, and so their domain. */
struct domain {
	struct page_table pt; /* pt.top is NULL until the first DMA object */
	uint16_t rid;	      /* the requester id: bus << 8 | devfn */
	uint16_t did;
	struct unit *unit;
	struct iommu_range *ranges;
};

static struct dmar_info dmar;
static struct unit units[DMAR_MAX_UNITS];
static struct domain domains[PCI_MAX_DEVICES];
static unsigned domain_count;
static int16_t domain_of[PCI_MAX_DEVICES]; /* by device index; -1: no unit holds the device */

static uint32_t rd32(const struct unit *u, uint32_t reg)
{
	return mmio_read32(u->regs, reg);
}

static uint64_t rd64(const struct unit *u, uint32_t reg)
{
	return mmio_read64(u->regs, reg);
}

static void wr32(const struct unit *u, uint32_t reg, uint32_t v)
{
	mmio_write32(u->regs, reg, v);
}

static void wr64(const struct unit *u, uint32_t reg, uint64_t v)
{
	mmio_write64(u->regs, reg, v);
}

/* --- commands and invalidations, each waited for ---------------------------------------------- */

/* Wait until (register reg & mask) == want, reg 64 bits wide if wide. False, after an error
 * naming the unit and what it was asked, when it never gets there. */
static bool wait_for(const struct unit *u, uint32_t reg, bool wide, uint64_t mask, uint64_t want, const char *what)
{
	for (long i = 0; i < WAIT_READS; i++)
		if (((wide ? rd64(u, reg) : rd32(u, reg)) & mask) == want)
			return true;
	log_error("iommu: the unit at 0x%llx does not answer (%s)", (unsigned long long)u->phys, what);
	return false;
}

/* Set (on) or clear a bit of the global command register, keeping the others as the status
 * register shows them, and wait until (status & mask) == want. */
static bool command(const struct unit *u, uint32_t bit, bool on, uint32_t mask, uint32_t want, const char *what)
{
	uint32_t now = rd32(u, REG_GSTS) & ~GSTS_ONE_SHOT;
	wr32(u, REG_GCMD, on ? now | bit : now & ~bit);
	return wait_for(u, REG_GSTS, false, mask, want, what);
}

/* Make what the CPU wrote to u's tables visible to the unit's table walks. */
static bool tables_written(const struct unit *u)
{
	if (!(u->ecap & ECAP_C))
		wbinvd(); /* its walks do not look into the CPU's caches */
	return !(u->cap & CAP_RWBF) || command(u, GCMD_WBF, true, GSTS_WBFS, 0, "write-buffer flush");
}

/* Write an invalidation request to the 64-bit register reg, wait until the unit clears its busy
 * bit, and check that it did not refuse it (the two bits at granted read 0). */
static bool invalidate(const struct unit *u, uint32_t reg, uint64_t request, uint64_t busy, unsigned granted,
		       const char *what)
{
	wr64(u, reg, request);
	if (!wait_for(u, reg, true, busy, 0, what))
		return false;
	if (rd64(u, reg) >> granted & 3)
		return true;
	log_error("iommu: the unit at 0x%llx refused a %s", (unsigned long long)u->phys, what);
	return false;
}

/* Drop every context entry the unit has cached. */
static bool context_invalidate(const struct unit *u)
{
	return invalidate(u, REG_CCMD, CCMD_ICC | CCMD_GLOBAL, CCMD_ICC, CCMD_CAIG, "context-cache invalidation");
}

/* Drop the translations the unit has cached for domain id did, or all of them (did 0), after
 * the device's reads and writes in flight are done. */
static bool iotlb_invalidate(const struct unit *u, uint16_t did)
{
	uint64_t drain = (u->cap & CAP_DRD ? IOTLB_DR : 0) | (u->cap & CAP_DWD ? IOTLB_DW : 0);
	return invalidate(u, ECAP_IRO(u->ecap) + 8,
			  IOTLB_IVT | drain | (did ? IOTLB_DOMAIN | (uint64_t)did << 32 : IOTLB_GLOBAL), IOTLB_IVT,
			  IOTLB_IAIG, "IOTLB invalidation");
}

/* --- faults ----------------------------------------------------------------------------------- */

static const char *reason_name(unsigned reason)
{
	static const char *const names[] = {
		[1] = "no root entry for its bus",
		[2] = "no context entry: it never had a DMA object",
		[3] = "a bad context entry",
		[4] = "beyond its domain's address width",
		[5] = "not writable for it: not one of its DMA objects, or one it may only read",
		[6] = "not readable for it: not one of its DMA objects",
		[7] = "a page-table entry could not be read",
	};
	return reason < sizeof(names) / sizeof(names[0]) && names[reason] ? names[reason]
									  : "see the VT-d specification";
}

/* Print and clear every fault u has recorded, oldest first. */
static void faults_report(const struct unit *u)
{
	uint32_t fsts = rd32(u, REG_FSTS);
	unsigned n = CAP_NFR(u->cap), first = FSTS_FRI(fsts) % n;
	for (unsigned k = 0; k < n; k++) {
		uint32_t reg = CAP_FRO(u->cap) + (first + k) % n * 16;
		uint64_t hi = rd64(u, reg + 8);
		if (!(hi & FRCD_F))
			continue;
		unsigned sid = FRCD_SID(hi), reason = FRCD_REASON(hi);
		log_warn("iommu: blocked a DMA %s by %02x:%02x.%x at page 0x%llx: %s (fault reason %u)",
			 hi & FRCD_READ ? "read" : "write", sid >> 8, sid >> 3 & 31, sid & 7,
			 (unsigned long long)(rd64(u, reg) & ~0xfffull), reason_name(reason), reason);
		wr32(u, reg + 12, (uint32_t)(FRCD_F >> 32)); /* F is cleared by writing 1 */
	}
	if (fsts & FSTS_PFO) {
		log_warn("iommu: the unit at 0x%llx blocked more DMA than it could record; some is not shown",
			 (unsigned long long)u->phys);
		wr32(u, REG_FSTS, FSTS_PFO);
	}
}

/* The fault event interrupt (VECTOR_IOMMU_FAULT), which every unit sends. */
static void on_fault_event(void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < dmar.unit_count; i++)
		if (units[i].on)
			faults_report(&units[i]);
}

/* --- units at boot ---------------------------------------------------------------------------- */

/* Turn off what firmware may have left on: translation, interrupt remapping, queued
 * invalidation (register-based invalidation does not work beside it). */
static bool unit_quiet(const struct unit *u)
{
	uint32_t sts = rd32(u, REG_GSTS);
	return (!(sts & GSTS_TES) || command(u, GCMD_TE, false, GSTS_TES, 0, "translation off")) &&
	       (!(sts & GSTS_IRES) || command(u, GCMD_IRE, false, GSTS_IRES, 0, "interrupt remapping off")) &&
	       (!(sts & GSTS_QIES) || command(u, GCMD_QIE, false, GSTS_QIES, 0, "queued invalidation off"));
}

/* Whether u's capabilities are what the frame drives: 3- or 4-level tables, domain ids, and the
 * fault records and IOTLB registers inside its size bytes of registers. Sets u->levels, u->dids. */
static bool unit_capable(struct unit *u, uint32_t size)
{
	unsigned sagaw = CAP_SAGAW(u->cap);
	u->levels = sagaw & SAGAW_3_LEVEL ? 3 : sagaw & SAGAW_4_LEVEL ? 4 : 0;
	u->dids = CAP_ND(u->cap) < 7 ? 1u << (4 + 2 * CAP_ND(u->cap)) : 0;
	u->next_did = 1; /* 0 is reserved in caching mode */
	return u->levels && u->dids && CAP_FRO(u->cap) + CAP_NFR(u->cap) * 16ull <= size &&
	       ECAP_IRO(u->ecap) + 16ull <= size;
}

/* Send u's fault events to this CPU on VECTOR_IOMMU_FAULT, after reporting what firmware left. */
static void faults_route(const struct unit *u)
{
	faults_report(u);
	if (!lapic_present()) {
		log_warn("iommu: no local APIC: the unit at 0x%llx blocks DMA but cannot say so",
			 (unsigned long long)u->phys);
		return;
	}
	wr32(u, REG_FEDATA, VECTOR_IOMMU_FAULT);
	wr32(u, REG_FEADDR, MSI_ADDRESS | (uint32_t)lapic_id() << 12);
	wr32(u, REG_FEUADDR, 0);
	wr32(u, REG_FECTL, rd32(u, REG_FECTL) & ~FECTL_IM);
}

/* Map the registers of the unit a describes, check what it can do, give it an empty root table
 * and turn translation on: from then on, every device it holds faults on every DMA until it has
 * a DMA object. Returns false, after a warning, when the unit is unusable. */
static bool unit_start(struct unit *u, const struct dmar_unit *a)
{
	u->phys = a->phys;
	const char *refused = io_mem_frame_refuses(a->phys, a->size);
	u->regs = refused ? NULL : kernel_area_map_mmio(a->phys, a->size, "the IOMMU");
	if (!u->regs) {
		log_warn("iommu: the unit's registers at 0x%llx %s%s", (unsigned long long)a->phys,
			 refused ? "lie over " : "cannot be mapped", refused ? refused : "");
		return false;
	}
	u->cap = rd64(u, REG_CAP);
	u->ecap = rd64(u, REG_ECAP);
	uint64_t root = 0;
	if (!unit_capable(u, a->size)) {
		log_warn("iommu: the unit at 0x%llx offers what the frame does not drive (capabilities 0x%llx 0x%llx)",
			 (unsigned long long)a->phys, (unsigned long long)u->cap, (unsigned long long)u->ecap);
		return false;
	}
	if (!unit_quiet(u) || !(root = pt_table_alloc()))
		return false;
	u->root = pt_target(root);
	wr64(u, REG_RTADDR, root); /* legacy mode */
	if (!tables_written(u) || !command(u, GCMD_SRTP, true, GSTS_RTPS, GSTS_RTPS, "root table pointer") ||
	    !context_invalidate(u) || !iotlb_invalidate(u, 0))
		return false;
	faults_route(u);
	if (!command(u, GCMD_TE, true, GSTS_TES, GSTS_TES, "translation on"))
		return false;
	if (u->cap & (CAP_PLMR | CAP_PHMR) && rd32(u, REG_PMEN) & PMEN_PRS) {
		wr32(u, REG_PMEN, 0); /* the protected regions of firmware: translation protects now */
		(void)wait_for(u, REG_PMEN, false, PMEN_PRS, 0, "protected memory off");
	}
	u->on = true;
	log_debug("iommu: the unit at 0x%llx translates: %d-level tables, %u domains, %u fault records",
		  (unsigned long long)u->phys, u->levels, u->dids, CAP_NFR(u->cap));
	return true;
}

/* --- which unit and domain hold a device ------------------------------------------------------ */

static uint8_t devfn_of(const struct pci_device *dev)
{
	return (uint8_t)(dev->info.slot << 3 | dev->info.function);
}

/* The bridge whose secondary bus is bus, or NULL. */
static struct pci_device *bridge_to(uint8_t bus)
{
	for (size_t i = 0; i < pci_device_count(); i++) {
		struct pci_device *d = pci_device_at(i);
		if (d->info.is_bridge && pci_cfg_read(d, REG_SECONDARY_BUS, 1) == bus)
			return d;
	}
	return NULL;
}

/* The PCI Express device/port type of dev, or -1 for a conventional PCI device. */
static int express_type(const struct pci_device *dev)
{
	for (unsigned i = 0; i < dev->cap_count; i++)
		if (dev->cap_id[i] == PCI_CAP_EXPRESS)
			return (int)(pci_cfg_read(dev, dev->cap_offset[i] + 2, 2) >> 4 & 0xf);
	return -1;
}

/* The requester id dev's DMA reaches the unit with: its own, unless a bridge to conventional
 * PCI lies on the way up, which issues it under its own id (or, a PCI Express to PCI bridge,
 * under its secondary bus with devfn 0). */
static uint16_t requester_id(const struct pci_device *dev)
{
	uint16_t rid = (uint16_t)(dev->info.bus << 8 | devfn_of(dev));
	const struct pci_device *bridge;
	for (unsigned hops = 0; hops < 256 && dev->info.bus && (bridge = bridge_to(dev->info.bus));
	     hops++, dev = bridge) {
		int type = express_type(bridge);
		if (type == PCIE_TYPE_PCI_BRIDGE)
			rid = (uint16_t)(dev->info.bus << 8);
		else if (type < 0)
			rid = (uint16_t)(bridge->info.bus << 8 | devfn_of(bridge));
	}
	return rid;
}

/* Whether the device scope s names dev, or (a bridge scope) a bridge dev is or is below. */
static bool scope_holds(const struct dmar_scope *s, const struct pci_device *dev)
{
	uint8_t bus = s->start_bus;
	for (unsigned i = 0; i + 1 < s->path_len; i++) { /* the bridges on the way */
		const struct pci_device *bridge = pci_device_by_place(bus, s->path[i]);
		if (!bridge || !bridge->info.is_bridge)
			return false;
		bus = (uint8_t)pci_cfg_read(bridge, REG_SECONDARY_BUS, 1);
	}
	uint8_t last = s->path[s->path_len - 1];
	if (dev->info.bus == bus && devfn_of(dev) == last)
		return true;
	const struct pci_device *bridge = pci_device_by_place(bus, last);
	if (s->type != DMAR_SCOPE_BRIDGE || !bridge || !bridge->info.is_bridge)
		return false;
	uint8_t secondary = (uint8_t)pci_cfg_read(bridge, REG_SECONDARY_BUS, 1);
	return secondary && dev->info.bus >= secondary &&
	       dev->info.bus <= (uint8_t)pci_cfg_read(bridge, REG_SUBORDINATE_BUS, 1);
}

/* The unit that holds dev: the one whose scopes name it, else the one for all devices; or -1. */
static int unit_for(const struct pci_device *dev)
{
	int all = -1;
	for (unsigned i = 0; i < dmar.unit_count; i++) {
		for (unsigned s = 0; s < dmar.units[i].scope_count; s++)
			if (scope_holds(&dmar.units[i].scopes[s], dev))
				return (int)i;
		if (dmar.units[i].include_all)
			all = (int)i;
	}
	return all;
}

/* Give every device its domain (shared by requester id), without tables yet. */
static void devices_bind(void)
{
	for (size_t i = 0; i < pci_device_count(); i++) {
		const struct pci_device *dev = pci_device_at(i);
		int u = unit_for(dev);
		domain_of[i] = -1;
		if (u < 0 || !units[u].on) {
			log_debug("iommu: " PCI_DEV_FMT
				  " is behind no remapping unit that translates: its DMA is not checked",
				  PCI_DEV_ARGS(dev));
			continue;
		}
		uint16_t rid = requester_id(dev);
		unsigned d = 0;
		while (d < domain_count && (domains[d].unit != &units[u] || domains[d].rid != rid))
			d++;
		if (d == domain_count)
			domains[domain_count++] = (struct domain){.rid = rid, .unit = &units[u]};
		domain_of[i] = (int16_t)d;
	}
}

void iommu_init(void)
{
	uint32_t len;
	const uint8_t *t = acpi_find_table("DMAR", &len);
	for (size_t i = 0; i < PCI_MAX_DEVICES; i++)
		domain_of[i] = -1;
	if (!t || !dmar_parse(t, len, &dmar)) {
		log_debug("iommu: no DMA remapping: devices reach all of memory");
		return;
	}
	if (lapic_present())
		irq_frame_line(-1, VECTOR_IOMMU_FAULT, on_fault_event, NULL);
	for (unsigned i = 0; i < dmar.unit_count; i++)
		if (!unit_start(&units[i], &dmar.units[i]))
			log_warn("iommu: the unit at 0x%llx is left off: the DMA of its devices is not checked",
				 (unsigned long long)dmar.units[i].phys);
	devices_bind();
}

/* --- domains and their pages ------------------------------------------------------------------ */

/* The context table of bus in u, made if it is not there yet; NULL when memory is out. */
static uint64_t *context_table(struct unit *u, uint8_t bus)
{
	uint64_t *root = &u->root[2 * bus];
	if (!(*root & ROOT_P)) {
		uint64_t table = pt_table_alloc();
		if (!table)
			return NULL;
		*root = table | ROOT_P;
	}
	return pt_target(*root);
}

/* Give d an empty page table and its requester id a context entry that points at it, unless it
 * has them already. False when memory or domain ids are out. */
static bool domain_make(struct domain *d)
{
	struct unit *u = d->unit;
	if (d->pt.top)
		return true;
	uint64_t *contexts = context_table(u, (uint8_t)(d->rid >> 8)), top = 0;
	if (!contexts || u->next_did >= u->dids || !(top = pt_table_alloc()))
		return false;
	d->did = (uint16_t)u->next_did++;
	d->pt = (struct page_table){pt_target(top), u->levels, 1, pt_table_alloc};
	uint64_t *c = &contexts[2 * (d->rid & 0xff)];
	c[1] = CONTEXT_AW(u->levels) | CONTEXT_DID(d->did);
	c[0] = top | CONTEXT_P; /* translation type 0 (through the page table); faults reported */
	if (!tables_written(u) || !context_invalidate(u) || !iotlb_invalidate(u, 0))
		panic("iommu: the unit at 0x%llx stopped answering", (unsigned long long)u->phys);
	log_debug("iommu: %02x:%02x.%x gets domain %u", d->rid >> 8, d->rid >> 3 & 31, d->rid & 7, d->did);
	return true;
}

/* Set the entry of the page at a in d to the rights d's ranges give it: read, and write if one
 * of them may write; none when no range covers it. A table missing on the way is made; false if
 * none was left. Sets *cached when an entry the unit may have cached changed. */
static bool page_set(struct domain *d, uint64_t a, bool *cached)
{
	uint64_t want = 0;
	for (const struct iommu_range *r = d->ranges; r; r = r->next)
		if (a - r->phys < r->size)
			want |= SL_R | (r->write ? SL_W : 0);
	uint64_t *e = pt_walk(&d->pt, a, want != 0);
	if (!e)
		return want == 0;
	uint64_t entry = want ? a | want : 0;
	*cached |= *e != 0 && *e != entry;
	*e = entry;
	return true;
}

/* After d's entries changed: make them visible, and drop what the unit cached of them. */
static void domain_flush(struct domain *d, bool cached)
{
	struct unit *u = d->unit;
	if (!tables_written(u) || ((cached || u->cap & CAP_CM) && !iotlb_invalidate(u, d->did)))
		panic("iommu: the unit at 0x%llx stopped answering: a device may still reach memory taken from it",
		      (unsigned long long)u->phys);
}

/* Unlink range from d's ranges. */
static void range_unlink(struct domain *d, const struct iommu_range *range)
{
	struct iommu_range **p = &d->ranges;
	while (*p != range)
		p = &(*p)->next;
	*p = range->next;
}

/* The first device address u's domains cannot translate: the tables' width or the unit's. */
static uint64_t unit_reach(const struct unit *u)
{
	unsigned tables = 12 + 9 * (unsigned)u->levels, unit = CAP_MGAW(u->cap);
	return 1ull << (tables < unit ? tables : unit);
}

/* The domain dev's DMA goes through, or NULL. */
static struct domain *domain_for(const struct pci_device *dev)
{
	int16_t d = domain_of[pci_device_index(dev)];
	return d < 0 ? NULL : &domains[d];
}

enum err iommu_map(struct iommu_range *range, struct pci_device *dev, uint64_t phys, uint64_t size, bool write)
{
	*range = (struct iommu_range){NULL, dev, phys, size, write, false};
	struct domain *d = domain_for(dev);
	if (!d)
		return ERR_OK;
	IRQ_OFF_SCOPE(); /* the domain's tables and ranges: one change at a time */
	if (phys + size > unit_reach(d->unit) || !domain_make(d))
		return ERR_NOMEM;
	range->next = d->ranges;
	d->ranges = range;
	bool cached = false;
	for (uint64_t a = phys; a < phys + size; a += PAGE_SIZE) {
		if (page_set(d, a, &cached))
			continue;
		range_unlink(d, range); /* out of tables: take back what was done */
		for (uint64_t b = phys; b < a; b += PAGE_SIZE)
			(void)page_set(d, b, &cached);
		domain_flush(d, cached);
		return ERR_NOMEM;
	}
	range->mapped = true;
	domain_flush(d, cached);
	return ERR_OK;
}

void iommu_unmap(struct iommu_range *range)
{
	if (!range->mapped)
		return;
	struct domain *d = domain_for(range->dev);
	IRQ_OFF_SCOPE();
	range_unlink(d, range);
	bool cached = false;
	for (uint64_t a = range->phys; a < range->phys + range->size; a += PAGE_SIZE)
		(void)page_set(d, a, &cached);
	range->mapped = false;
	domain_flush(d, cached);
}
