/* 16550 UART driver for COM1, polled: safe to use from any context, including a panic. */
#include "console/serial.h"
#include "arch/x86_64/x86.h"
#include <stdbool.h>

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2 /* written; read, it is IIR */
#define IIR_FIFO_ON 0xc0
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define IER_RX 0x01 /* interrupt when a byte arrives */
#define IER_TX 0x02 /* interrupt when the transmitter is empty */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_IDLE 0x40
#define SPIN_LIMIT 100000000 /* ~seconds: give up only on a stuck UART (a missing one reads 0xff) */

static bool ready;

/* Set up COM1 for 115200 baud, 8 data bits, no parity, one stop bit. Idempotent. What was
 * received already stays for serial_read(): the FIFOs stay in the mode found, since a change of
 * mode empties them. A boot loader's FIFO stays on (interrupting at 14 bytes received); without
 * one (at reset, and so under QEMU) the port holds one byte, and QEMU sends the next when it is
 * read. */
void serial_init(void)
{
	bool fifo = (inb(COM1 + REG_FCR) & IIR_FIFO_ON) == IIR_FIFO_ON;
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x80);  /* divisor latch */
	outb(COM1 + REG_DATA, 0x01); /* 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x03);
	if (fifo)
		outb(COM1 + REG_FCR, 0xc5); /* FIFO on, transmit FIFO emptied, interrupt at 14 bytes received */
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

/* Interrupt on every byte received, and only then (this also ends serial_raise_interrupt()'s
 * interrupt); MCR OUT2 is already on, so it reaches the interrupt controller. */
void serial_enable_rx_interrupt(void)
{
	outb(COM1 + REG_IER, IER_RX);
}

/* Make the port interrupt once with nothing received: the transmitter-empty interrupt, on at
 * once (or when the byte being sent has left), until serial_enable_rx_interrupt(). */
void serial_raise_interrupt(void)
{
	outb(COM1 + REG_IER, IER_RX | IER_TX);
}

/* The next byte received, or -1 if none is waiting. */
int serial_read(void)
{
	return inb(COM1 + REG_LSR) & LSR_DATA_READY ? inb(COM1 + REG_DATA) : -1;
}
