/* The 8259 PIC pair, programmed through its command and data ports; masks are kept here, never read back. */
#include "irq/pic.h"
#include "arch/x86_64/x86.h"
#include "irq/irqchip.h"

#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xa0
#define SLAVE_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* initialize; ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b
#define CASCADE_LINE 2
#define LINE_7 0x80 /* each chip's line 7: where its spurious interrupts arrive */

static uint16_t masked_lines = 0xffff; /* bit n set: ISA line n masked */

/* Write the masks to both chips, the cascade line unmasked exactly while a slave line is. */
static void write_masks(void)
{
	uint16_t m = masked_lines | 1u << CASCADE_LINE;
	if ((m & 0xff00) != 0xff00)
		m &= (uint16_t) ~(1u << CASCADE_LINE);
	outb(MASTER_DATA, (uint8_t)m);
	outb(SLAVE_DATA, (uint8_t)(m >> 8));
}

void pic_init(void)
{
	outb(MASTER_CMD, ICW1_INIT_ICW4);
	outb(SLAVE_CMD, ICW1_INIT_ICW4);
	outb(MASTER_DATA, VECTOR_ISA_BASE); /* ICW2: vector of line 0 */
	outb(SLAVE_DATA, VECTOR_ISA_BASE + 8);
	outb(MASTER_DATA, 1u << CASCADE_LINE); /* ICW3: the slave hangs on line 2 */
	outb(SLAVE_DATA, CASCADE_LINE);
	outb(MASTER_DATA, ICW4_8086);
	outb(SLAVE_DATA, ICW4_8086);
	masked_lines = 0xffff;
	write_masks();
}

void pic_set_masked(unsigned irq, bool masked)
{
	if (masked)
		masked_lines |= (uint16_t)(1u << irq);
	else
		masked_lines &= (uint16_t) ~(1u << irq);
	write_masks();
}

/* The in-service register of the chip whose command port is cmd. */
static uint8_t in_service(uint16_t cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

bool pic_spurious(unsigned irq)
{
	if (irq == 7)
		return !(in_service(MASTER_CMD) & LINE_7);
	if (irq != 15 || in_service(SLAVE_CMD) & LINE_7)
		return false;
	outb(MASTER_CMD, OCW2_EOI);
	return true;
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(SLAVE_CMD, OCW2_EOI);
	outb(MASTER_CMD, OCW2_EOI);
}
