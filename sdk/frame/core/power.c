/* Power-off: isa-debug-exit under QEMU, else ACPI shutdown on QEMU/Bochs, else halt. */
#include "core/hostlink.h"
#include <frame/power.h>
#include "arch/x86_64/x86.h"
#include "check.h"
#include "console/serial.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_SUCCESS 0x10 /* QEMU exits with (value << 1) | 1 = 33 */
#define DEBUG_EXIT_FAILURE 0x11 /* 35 */
#define ACPI_PM1A_QEMU 0x604
#define ACPI_PM1A_BOCHS 0xb004
#define ACPI_SLEEP_S5 0x2000

void power_off(enum power_exit how)
{
	REQUIRE(how == POWER_EXIT_SUCCESS || how == POWER_EXIT_FAILURE, "how (%d) is not a power_exit", (int)how);
	cli();
	serial_flush();
	hostlink_exit(); /* the trace and coverage records, when the host asked for them */
	outb(DEBUG_EXIT_PORT, how == POWER_EXIT_SUCCESS ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE);
	outw(ACPI_PM1A_QEMU, ACPI_SLEEP_S5);
	outw(ACPI_PM1A_BOCHS, ACPI_SLEEP_S5);
	halt_forever();
}
