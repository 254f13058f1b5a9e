/* The 16550 UART on COM1: the frame's console device. */
#ifndef FRAME_CONSOLE_SERIAL_H
#define FRAME_CONSOLE_SERIAL_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *buf, size_t len);
void serial_flush(void);
void serial_enable_rx_interrupt(void);
void serial_raise_interrupt(void);
int serial_read(void);

#endif
