// Interrupts of PCI devices, for tests/test_pci_irq.py. The command line names a case: QEMU's
// edu device interrupts by MSI or by INTx ("msi", "intx", "any"), e1000e by MSI-X ("msix", or
// INTx on a CPU without a local APIC: "no-apic"), two edu devices share one INTx line ("shared"),
// a handler that never claims its interrupt makes the frame disable the line ("storm"); or a
// misuse of the API, which must end in a panic. Each device is driven through the public API
// only: a window on its registers, pci_irq_alloc() and the line functions of <frame/irq.h>.
#include <frame/frame.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_IRQFACT 0x80 // raise an interrupt when the factorial is done
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_IRQ_FACTORIAL 0x1 // the status bit of "factorial done"

#define E1000E_VENDOR 0x8086
#define E1000E_DEVICE 0x10d3
#define E1000E_ICR 0xc0 // interrupt cause read (write 1s to clear)
#define E1000E_ICS 0xc8 // interrupt cause set
#define E1000E_IMS 0xd0 // interrupt mask set
#define E1000E_IMC 0xd8 // interrupt mask clear
#define E1000E_IVAR 0xe4
#define E1000E_IVAR_OTHER_VECTOR_0 0x80000 // "other" causes: MSI-X vector 0, valid
#define E1000E_ICR_OTHER 0x01000000
#define E1000E_MSIX_BAR 3
#define E1000E_PBA 0x2000 // the pending bits, in BAR 3 after the table

#define RAISES 8

// One device and its interrupt, as a driver keeps them.
struct dev {
	const char *name;
	struct pci_device *pci;
	struct io_mem *regs;
	struct irq_line *line;
	struct semaphore got; // one unit per interrupt claimed
	uint32_t last;	      // the status the handler acknowledged last
	bool (*handler)(void *ctx);
};

static void fail(const char *what)
{
	console_printf("pci-irq: FAILED: %s\n", what);
	power_off(POWER_EXIT_FAILURE);
}

static const char *kind_name(enum pci_irq_kind kind)
{
	return kind == PCI_IRQ_MSIX ? "MSI-X" : kind == PCI_IRQ_MSI ? "MSI" : "INTx";
}

// --- edu ------------------------------------------------------------------------------------

static bool edu_handler(void *ctx)
{
	struct dev *d = ctx;
	uint32_t status = io_mem_read32(d->regs, EDU_IRQ_STATUS);
	if (!status)
		return false; // another device on a shared line
	io_mem_write32(d->regs, EDU_IRQ_ACK, status);
	d->last = status;
	sem_up(&d->got);
	return true;
}

static bool never_mine(void *ctx)
{
	(void)ctx;
	return false;
}

static void edu_raise(struct dev *d, uint32_t bits)
{
	io_mem_write32(d->regs, EDU_IRQ_RAISE, bits);
}

// The n-th edu device (0: the first), its registers mapped.
static void edu_find(struct dev *d, const char *name, unsigned n)
{
	*d = (struct dev){.name = name, .handler = edu_handler};
	sem_init(&d->got, name, 0);
	for (unsigned i = 0; i <= n; i++)
		d->pci = pci_find(EDU_VENDOR, EDU_DEVICE, i ? d->pci : NULL);
	if (!d->pci)
		fail("no edu device: run QEMU with -device edu");
	if (pci_bar_map(&d->regs, d->pci, 0) != ERR_OK)
		fail("cannot map edu's registers");
}

// Allocate d's interrupt of a kind allowed (it must be want), attach its handler and enable it.
static void irq_up(struct dev *d, unsigned allowed, enum pci_irq_kind want)
{
	enum err e = pci_irq_alloc(&d->line, d->pci, allowed);
	if (e != ERR_OK) {
		console_printf("pci-irq: %s: pci_irq_alloc: %s\n", d->name, err_name(e));
		fail("pci_irq_alloc");
	}
	struct pci_info i = pci_device_info(d->pci);
	console_printf("pci-irq: %s %02x:%02x.%x interrupts by %s\n", d->name, i.bus, i.slot, i.function,
		       kind_name(pci_irq_kind(d->line)));
	if (pci_irq_kind(d->line) != want)
		fail("another kind of interrupt");
	irq_line_attach_shared(d->line, d->handler, d);
	irq_line_enable(d->line);
}

// Wait (a second at most) for d's handler to claim an interrupt.
static void wait_for(struct dev *d, const char *what)
{
	if (sem_down(&d->got, SEC(1)) != ERR_OK) {
		console_printf("pci-irq: %s: no interrupt: %s\n", d->name, what);
		fail("an interrupt did not come");
	}
}

// Nothing comes for d in 20 ms.
static void wait_none(struct dev *d, const char *what)
{
	task_sleep(MSEC(20));
	if (sem_trydown(&d->got)) {
		console_printf("pci-irq: %s: an interrupt came: %s\n", d->name, what);
		fail("an interrupt came that should not");
	}
}

static void expect_count(struct dev *d, uint64_t n)
{
	if (irq_line_count(d->line) != n) {
		console_printf("pci-irq: %s: irq_line_count is %llu, not %llu\n", d->name,
			       (unsigned long long)irq_line_count(d->line), (unsigned long long)n);
		fail("irq_line_count");
	}
}

static void case_edu(unsigned allowed, enum pci_irq_kind want)
{
	static struct dev edu;
	edu_find(&edu, "edu", 0);
	uint64_t spurious = irq_spurious_count();
	irq_up(&edu, allowed, want);
	for (unsigned i = 0; i < RAISES; i++) {
		edu_raise(&edu, 1u << (8 + i));
		wait_for(&edu, "raised");
		if (edu.last != 1u << (8 + i))
			fail("the handler acknowledged another status");
	}
	expect_count(&edu, RAISES);
	console_printf("pci-irq: edu: %u raised, %llu counted\n", RAISES, (unsigned long long)irq_line_count(edu.line));

	irq_line_disable(edu.line);
	edu_raise(&edu, 0x100);
	wait_none(&edu, "raised while the line is disabled");
	irq_line_enable(edu.line);
	wait_for(&edu, "raised while the line was disabled, then enabled");
	expect_count(&edu, RAISES + 1);
	console_printf("pci-irq: edu: held back while disabled, delivered when enabled\n");

	io_mem_write32(edu.regs, EDU_STATUS, EDU_STATUS_IRQFACT);
	io_mem_write32(edu.regs, EDU_FACTORIAL, 10);
	wait_for(&edu, "factorial done");
	if (edu.last != EDU_IRQ_FACTORIAL)
		fail("the factorial's interrupt has another status");
	console_printf("pci-irq: edu: 10! = %u, by interrupt\n", io_mem_read32(edu.regs, EDU_FACTORIAL));

	struct irq_line *second;
	if (pci_irq_alloc(&second, edu.pci, PCI_IRQ_ANY) != ERR_BUSY)
		fail("a second pci_irq_alloc() for the device is not ERR_BUSY");
	irq_line_free(edu.line);
	edu_raise(&edu, 0x200); // the device's interrupt is off: MSI disabled, INTx masked
	wait_none(&edu, "raised after irq_line_free()");
	io_mem_write32(edu.regs, EDU_IRQ_ACK, io_mem_read32(edu.regs, EDU_IRQ_STATUS));
	irq_up(&edu, allowed, want); // again, after a free
	edu_raise(&edu, 0x400);
	wait_for(&edu, "raised after a second pci_irq_alloc()");
	irq_line_free(edu.line);
	console_printf("pci-irq: edu: freed and allocated again; %llu spurious\n",
		       (unsigned long long)(irq_spurious_count() - spurious));
}

// Two edu devices on one INTx line: each handler claims its own device's interrupts only.
static void case_shared(void)
{
	static struct dev a, b;
	edu_find(&a, "edu-a", 0);
	edu_find(&b, "edu-b", 1);
	uint8_t la = pci_config_read8(a.pci, 0x3c), lb = pci_config_read8(b.pci, 0x3c);
	console_printf("pci-irq: shared: edu-a on ISA line %u, edu-b on ISA line %u\n", la, lb);
	if (la != lb)
		fail("the two edu devices are not on one line (place them in slots that share a PIRQ)");
	uint64_t spurious = irq_spurious_count();
	irq_up(&a, PCI_IRQ_INTX, PCI_IRQ_INTX);
	irq_up(&b, PCI_IRQ_INTX, PCI_IRQ_INTX);

	edu_raise(&a, 1);
	wait_for(&a, "edu-a raised");
	edu_raise(&b, 1);
	wait_for(&b, "edu-b raised");
	irq_state s = irq_save(); // both at once: one interrupt, or two
	edu_raise(&a, 2);
	edu_raise(&b, 2);
	irq_restore(s);
	wait_for(&a, "both raised");
	wait_for(&b, "both raised");
	expect_count(&a, 2);
	expect_count(&b, 2);
	console_printf("pci-irq: shared: each handler claimed its own: 2 and 2\n");

	irq_line_disable(a.line); // edu-a masked in the device; edu-b's interrupts still come
	edu_raise(&a, 4);
	edu_raise(&b, 4);
	wait_for(&b, "edu-b raised while edu-a's line is disabled");
	wait_none(&a, "edu-a raised while its line is disabled");
	irq_line_enable(a.line);
	wait_for(&a, "edu-a's line enabled again");
	expect_count(&a, 3);
	expect_count(&b, 3);
	console_printf("pci-irq: shared: one line disabled, the other's interrupts still came\n");

	irq_line_free(a.line);
	edu_raise(&b, 8);
	wait_for(&b, "edu-b raised after edu-a's line was freed");
	irq_line_free(b.line);
	console_printf("pci-irq: shared: %llu spurious\n", (unsigned long long)(irq_spurious_count() - spurious));
}

// A handler that never claims its interrupt: edu's level-triggered INTx stays asserted and keeps
// interrupting, until the frame disables the line.
static void case_storm(void)
{
	static struct dev edu;
	edu_find(&edu, "edu", 0);
	edu.handler = never_mine;
	uint64_t spurious = irq_spurious_count();
	irq_up(&edu, PCI_IRQ_INTX, PCI_IRQ_INTX);
	edu_raise(&edu, 1);
	for (int i = 0; i < 100 && irq_spurious_count() - spurious < 1000; i++)
		task_sleep(MSEC(10));
	uint64_t counted = irq_spurious_count() - spurious;
	task_sleep(MSEC(20));
	if (irq_spurious_count() - spurious != counted)
		fail("the interrupts go on");
	console_printf("pci-irq: storm: stopped after %llu spurious interrupts, %llu claimed\n",
		       (unsigned long long)counted, (unsigned long long)irq_line_count(edu.line));
	io_mem_write32(edu.regs, EDU_IRQ_ACK, io_mem_read32(edu.regs, EDU_IRQ_STATUS));
	irq_line_detach(edu.line);
	edu.handler = edu_handler;
	irq_line_attach_shared(edu.line, edu_handler, &edu);
	irq_line_enable(edu.line);
	edu_raise(&edu, 1);
	wait_for(&edu, "raised after the line was enabled again");
	irq_line_free(edu.line);
	console_printf("pci-irq: storm: the line works again\n");
}

// --- e1000e: MSI-X (or INTx without a local APIC)
// ------------------------------------------------------------------------------

static bool e1000e_handler(void *ctx)
{
	struct dev *d = ctx;
	uint32_t causes = io_mem_read32(d->regs, E1000E_ICR);
	if (!causes)
		return false;
	io_mem_write32(d->regs, E1000E_ICR, causes);
	d->last = causes;
	sem_up(&d->got);
	return true;
}

static void e1000e_raise(struct dev *d)
{
	io_mem_write32(d->regs, E1000E_ICS, E1000E_ICR_OTHER);
}

static void case_e1000e(enum pci_irq_kind want)
{
	static struct dev nic = {.name = "e1000e", .handler = e1000e_handler};
	sem_init(&nic.got, "e1000e", 0);
	nic.pci = pci_find(E1000E_VENDOR, E1000E_DEVICE, NULL);
	if (!nic.pci)
		fail("no e1000e device: run QEMU with -device e1000e");
	if (pci_bar_map(&nic.regs, nic.pci, 0) != ERR_OK)
		fail("cannot map e1000e's registers");
	io_mem_write32(nic.regs, E1000E_IMC, UINT32_MAX);
	io_mem_write32(nic.regs, E1000E_ICR, UINT32_MAX);
	irq_up(&nic, PCI_IRQ_ANY, want);
	io_mem_write32(nic.regs, E1000E_IVAR, E1000E_IVAR_OTHER_VECTOR_0);
	io_mem_write32(nic.regs, E1000E_IMS, E1000E_ICR_OTHER);
	for (unsigned i = 0; i < RAISES; i++) {
		e1000e_raise(&nic);
		wait_for(&nic, "raised");
	}
	expect_count(&nic, RAISES);
	console_printf("pci-irq: e1000e: %u raised, %llu counted\n", RAISES,
		       (unsigned long long)irq_line_count(nic.line));

	irq_line_disable(nic.line); // MSI-X: entry 0's mask bit, the device keeps it pending
	e1000e_raise(&nic);
	wait_none(&nic, "raised while the line is disabled");
	irq_line_enable(nic.line);
	wait_for(&nic, "raised while the line was disabled, then enabled");
	console_printf("pci-irq: e1000e: held back while disabled, delivered when enabled\n");

	struct io_mem *msix; // the BAR of the MSI-X table: mapped, with the table a hole
	if (pci_bar_map(&msix, nic.pci, E1000E_MSIX_BAR) != ERR_OK)
		fail("cannot map the BAR of e1000e's MSI-X table");
	console_printf("pci-irq: e1000e: BAR %u mapped, pending bits 0x%x\n", E1000E_MSIX_BAR,
		       io_mem_read32(msix, E1000E_PBA));
	io_mem_release(msix);
	irq_line_free(nic.line);
	e1000e_raise(&nic);
	wait_none(&nic, "raised after irq_line_free()");
	console_printf("pci-irq: e1000e: freed\n");
}

// Without a local APIC (-cpu qemu64,-apic) no message can be sent: e1000e interrupts by INTx,
// through the PIC.
static void case_no_apic(void)
{
	struct pci_device *nic = pci_find(E1000E_VENDOR, E1000E_DEVICE, NULL);
	struct irq_line *line;
	enum err e = nic ? pci_irq_alloc(&line, nic, PCI_IRQ_MSI | PCI_IRQ_MSIX) : ERR_OK;
	console_printf("pci-irq: no local APIC: MSI or MSI-X: %s\n", err_name(e));
	if (e != ERR_UNSUPPORTED)
		fail("MSI without a local APIC");
	case_e1000e(PCI_IRQ_INTX);
}

// --- misuse ------------------------------------------------------------------------------------

static uint64_t not_a_device[8];

static struct irq_line *edu_line(unsigned allowed)
{
	static struct dev edu;
	edu_find(&edu, "edu", 0);
	struct irq_line *line;
	if (pci_irq_alloc(&line, edu.pci, allowed) != ERR_OK)
		fail("pci_irq_alloc");
	return line;
}

static void case_bogus_device(void)
{
	struct irq_line *line;
	if (pci_irq_alloc(&line, (struct pci_device *)(void *)not_a_device, PCI_IRQ_ANY) != ERR_OK)
		return;
}

static void case_bad_kind(void)
{
	struct irq_line *line;
	if (pci_irq_alloc(&line, pci_find(EDU_VENDOR, EDU_DEVICE, NULL), 0x8) != ERR_OK)
		return;
}

static void case_bridge(void)
{
	struct irq_line *line;
	if (pci_irq_alloc(&line, pci_find_class(0x06, 0x00, NULL), PCI_IRQ_ANY) != ERR_OK)
		return;
}

static void case_free_twice(void)
{
	struct irq_line *line = edu_line(PCI_IRQ_ANY);
	irq_line_free(line);
	irq_line_free(line);
}

static void nothing(void *ctx)
{
	(void)ctx;
}

static void case_attach_plain(void)
{
	irq_line_attach(edu_line(PCI_IRQ_ANY), nothing, NULL);
}

static void case_raise_device(void)
{
	struct irq_line *line = edu_line(PCI_IRQ_MSI);
	irq_line_attach_shared(line, never_mine, NULL);
	irq_line_enable(line);
	if (irq_line_raise(line) != ERR_OK)
		return;
}

static void case_kind_of_soft_line(void)
{
	struct irq_line *line;
	if (irq_line_alloc(&line) != ERR_OK)
		fail("irq_line_alloc");
	(void)pci_irq_kind(line);
}

// A window onto the BAR of e1000e's MSI-X table (offsets 0x0-0x4f of it: 5 entries).
static struct io_mem *msix_bar(void)
{
	struct pci_device *nic = pci_find(E1000E_VENDOR, E1000E_DEVICE, NULL);
	struct io_mem *msix;
	if (!nic || pci_bar_map(&msix, nic, E1000E_MSIX_BAR) != ERR_OK)
		fail("cannot map the BAR of e1000e's MSI-X table");
	return msix;
}

static void case_touch_msix_table(void)
{
	io_mem_write32(msix_bar(), 0x10, 0xfee00000); // entry 1's address: where the device would write
}

static void case_read_msix_table(void)
{
	uint8_t buf[64];
	io_mem_read(msix_bar(), 0x40, buf, sizeof(buf)); // from the last entry on
}

static void case_msi(void)
{
	case_edu(PCI_IRQ_MSI, PCI_IRQ_MSI);
}

static void case_intx(void)
{
	case_edu(PCI_IRQ_INTX, PCI_IRQ_INTX);
}

static void case_any(void) // edu has no MSI-X
{
	case_edu(PCI_IRQ_ANY, PCI_IRQ_MSI);
}

static void case_msix(void)
{
	case_e1000e(PCI_IRQ_MSIX);
}

static const struct {
	const char *name;
	void (*run)(void);
	bool panics;
} cases[] = {
	{"msi", case_msi, false},
	{"intx", case_intx, false},
	{"any", case_any, false},
	{"msix", case_msix, false},
	{"shared", case_shared, false},
	{"storm", case_storm, false},
	{"no-apic", case_no_apic, false},
	{"bogus-device", case_bogus_device, true},
	{"bad-kind", case_bad_kind, true},
	{"bridge", case_bridge, true},
	{"free-twice", case_free_twice, true},
	{"attach-plain", case_attach_plain, true},
	{"raise-device", case_raise_device, true},
	{"kind-of-soft-line", case_kind_of_soft_line, true},
	{"touch-msix-table", case_touch_msix_table, true},
	{"read-msix-table", case_read_msix_table, true},
};

void kernel_main(void)
{
	const char *how = boot_cmdline();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(how, cases[i].name) != 0)
			continue;
		console_printf("pci-irq: %s\n", how);
		cases[i].run();
		if (cases[i].panics)
			fail("the misuse did not panic");
		console_printf("pci-irq: done\n");
		return;
	}
	console_printf("pci-irq: unknown case '%s'\n", how);
	power_off(POWER_EXIT_FAILURE);
}
