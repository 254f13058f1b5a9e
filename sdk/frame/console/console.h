/* The console's side of the boot sequence and of the deadlock check. */
#ifndef FRAME_CONSOLE_CONSOLE_H
#define FRAME_CONSOLE_CONSOLE_H

#include <stdbool.h>

/* Attach the serial port's interrupt: typed bytes are kept from now on until console_on_input(). */
void console_input_init(void);
/* Whether a byte typed could wake a task: only once console_on_input() gave it a callback. */
bool console_input_wakes(void);

#endif
