/* 16550 UART driver for COM1, polled: safe to use from any context, including a panic. */
#include "console/serial.h"
#include "arch/x86_64/x86.h"
#include <stdbool.h>

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_IDLE 0x40
#define SPIN_LIMIT 100000000 /* ~seconds: give up only on a stuck UART (a missing one reads 0xff) */

static bool ready;

/* Set up COM1 for 115200 baud, 8 data bits, no parity, one stop bit. Idempotent. */
void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x80);  /* divisor latch */
	outb(COM1 + REG_DATA, 0x01); /* 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x03);
	outb(COM1 + REG_FCR, 0xc7);
	outb(COM1 + REG_MCR, 0x0b);
	ready = true;
}

static void wait_lsr(uint8_t bit)
{
	for (int i = 0; i < SPIN_LIMIT && !(inb(COM1 + REG_LSR) & bit); i++)
		;
}

static void put(char c)
{
	wait_lsr(LSR_THR_EMPTY);
	outb(COM1 + REG_DATA, (uint8_t)c);
}

/* Write len bytes, turning "\n" into "\r\n". Sets the port up first if nobody has yet. */
void serial_write(const char *buf, size_t len)
{
	if (!ready)
		serial_init();
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			put('\r');
		put(buf[i]);
	}
}

/* Wait until every byte written has left the UART (before powering off). */
void serial_flush(void)
{
	if (ready)
		wait_lsr(LSR_IDLE);
}

/* Interrupt on every byte received (IER bit 0); MCR OUT2 is already on, so it reaches the
 * interrupt controller. */
void serial_enable_rx_interrupt(void)
{
	outb(COM1 + REG_IER, 0x01);
}

/* The next byte received, or -1 if none is waiting. */
int serial_read(void)
{
	return inb(COM1 + REG_LSR) & LSR_DATA_READY ? inb(COM1 + REG_DATA) : -1;
}
