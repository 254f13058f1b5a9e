/**
 * @file irq.h
 * @brief Interrupt lines with handlers, and turning interrupts off for a while on this CPU.
 * @ingroup frame_irq
 */
#ifndef FRAME_IRQ_H
#define FRAME_IRQ_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @defgroup frame_irq Interrupts
 * @brief Allocate an interrupt line, attach a handler with a context pointer, enable it.
 *
 * @code
 * static void on_key(void *ctx) { ... }          // interrupt context: must not sleep
 *
 * struct irq_line *line;
 * if (irq_line_alloc_isa(&line, 1) != ERR_OK)    // ISA line 1, the PS/2 keyboard
 *         panic("keyboard line is taken");
 * irq_line_attach(line, on_key, NULL);
 * irq_line_enable(line);
 * @endcode
 *
 * Legacy ISA lines are routed through the IOAPIC, or the PIC on a machine without one. Lines the
 * frame drives itself (0 and 2: the timer and the PIC cascade; 4: COM1, see console_on_input())
 * are never handed out.
 *
 * Handlers run in interrupt context: with interrupts off, on the interrupted task's stack (or the
 * frame's trap stack), and they must return quickly. They must not sleep: task_sleep(),
 * task_yield(), task_join(), mutex_lock(), wait_queue_wait() and friends panic there with "may
 * not sleep in interrupt context". They may wake tasks (wait_queue_wake_one(), sem_up()), start
 * and cancel timers and take spinlocks that tasks take with spin_lock_irqsave().
 *
 * **Device lines.** A PCI device's interrupt comes from pci_irq_alloc() (`<frame/pci.h>`): MSI-X,
 * MSI or INTx. INTx lines may be *shared* by several devices, so a handler on a device's line
 * says whether the interrupt was its device's: it attaches with irq_line_attach_shared(), and
 * returns true when it found its device asking (and quieted it), false otherwise. Every handler
 * on the shared line runs; irq_line_count() counts the interrupts a handler claimed.
 *
 * Interrupts that arrive with no cause (the PIC's spurious IRQ 7 and 15, the local APIC's
 * spurious vector), and interrupts that no handler claims, are counted (irq_spurious_count()),
 * never fatal. A line that keeps interrupting with nobody claiming it (1000 interrupts in a row: a
 * device nobody drives on a shared line, or a handler that does not recognise its device) would
 * stall the machine: its lines are disabled, with a warning; irq_line_enable() turns one back on.
 * @{
 */

/** @brief An interrupt line. Opaque: use the functions below. */
struct irq_line;

/** @brief An interrupt handler; @p ctx is the pointer given to irq_line_attach(). */
typedef void (*irq_handler_fn)(void *ctx);

/**
 * @brief A handler for a line that other devices may share (irq_line_attach_shared()); @p ctx is
 * the pointer given there.
 * @return true if the interrupt was its device's (it has read and acknowledged the device's
 * interrupt status), false if its device did not interrupt.
 */
typedef bool (*irq_shared_handler_fn)(void *ctx);

/**
 * @brief Allocate a free line with no device behind it, for software interrupts (irq_line_raise()).
 * @param out receives the line; untouched unless the result is #ERR_OK.
 * @retval ERR_OK @p out holds the line, disabled, with no handler.
 * @retval ERR_BUSY every line is taken.
 * @retval ERR_NOMEM no memory for the line's bookkeeping.
 * @par Panics
 * If @p out is NULL.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err irq_line_alloc(struct irq_line **out);

/**
 * @brief Allocate legacy ISA line @p isa_irq (0-15), e.g. 1 for the keyboard, 3 for COM2.
 * @param out receives the line; untouched unless the result is #ERR_OK.
 * @param isa_irq the ISA line number, 0 to 15.
 * @retval ERR_OK @p out holds the line, disabled, with no handler.
 * @retval ERR_BUSY the line is allocated already (PCI devices' INTx included: pci_irq_alloc()), or
 *         the frame drives it (0, 2 and 4).
 * @retval ERR_NOMEM no memory for the line's bookkeeping.
 * @par Panics
 * If @p out is NULL or @p isa_irq is above 15.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
FRAME_MUST_CHECK enum err irq_line_alloc_isa(struct irq_line **out, unsigned isa_irq);

/**
 * @brief Free a line: it is disabled and its handler detached first. For a line from
 * pci_irq_alloc(), the device's programming is undone: MSI or MSI-X is turned off and INTx
 * masked in the device.
 * @param line a line from irq_line_alloc(), irq_line_alloc_isa() or pci_irq_alloc(); it must not
 * be used again.
 * @par Panics
 * If @p line is not an allocated line.
 * @par Context
 * Tasks only, not interrupt context (panics).
 */
void irq_line_free(struct irq_line *line);

/**
 * @brief Call `handler(ctx)` for every interrupt on @p line from now on.
 * @param line an allocated line.
 * @param handler the function to call; it runs in interrupt context.
 * @param ctx passed to @p handler (may be NULL).
 * @par Panics
 * If @p line is not an allocated line, @p handler is NULL, a handler is attached already
 * (detach it first), or @p line comes from pci_irq_alloc() (use irq_line_attach_shared()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void irq_line_attach(struct irq_line *line, irq_handler_fn handler, void *ctx);

/**
 * @brief Call `handler(ctx)` for every interrupt on @p line from now on; the handler says
 * whether the interrupt was its device's. The way to attach to a line from pci_irq_alloc().
 *
 * On a line that other devices share (PCI INTx), every handler on it runs for each interrupt.
 * An interrupt that no handler claims is counted by irq_spurious_count(); one a handler claims,
 * by irq_line_count() of its line. On an unshared line (any line may take a shared handler, so a
 * driver needs one handler whatever kind pci_irq_alloc() gave it) false counts the same way.
 * @param line an allocated line.
 * @param handler the function to call; it runs in interrupt context.
 * @param ctx passed to @p handler (may be NULL).
 * @par Panics
 * If @p line is not an allocated line, @p handler is NULL, or a handler is attached already
 * (detach it first).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void irq_line_attach_shared(struct irq_line *line, irq_shared_handler_fn handler, void *ctx);

/**
 * @brief Remove the line's handler. When this returns, the handler is not running and will not
 * run again.
 * @param line an allocated line with a handler; it is disabled too (attach a handler and
 * irq_line_enable() it to use it again).
 * @par Panics
 * If @p line is not an allocated line or has no handler.
 * @par Context
 * Any, including interrupt handlers and timer callbacks; called from the line's own handler,
 * that handler still finishes its current run.
 */
void irq_line_detach(struct irq_line *line);

/**
 * @brief Let the line's interrupts through (unmask it). A device's message (MSI, MSI-X) that came
 * while the line was disabled is delivered now.
 * @param line an allocated line with a handler attached.
 * @par Panics
 * If @p line is not an allocated line or has no handler attached.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void irq_line_enable(struct irq_line *line);

/**
 * @brief Hold the line's interrupts back (mask it). For a device's line the device is masked
 * too (MSI-X and maskable MSI: its mask bit; INTx: the command register's interrupt disable bit),
 * so other devices sharing an INTx line keep theirs.
 * @param line an allocated line.
 * @par Panics
 * If @p line is not an allocated line.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void irq_line_disable(struct irq_line *line);

/**
 * @brief Raise an interrupt on a line from irq_line_alloc() on this CPU (a self-IPI): its handler
 * runs as for a device's interrupt, as soon as interrupts are on.
 * @param line an enabled line from irq_line_alloc() (not an ISA line or a device's).
 * @retval ERR_OK raised.
 * @retval ERR_UNSUPPORTED the CPU has no local APIC to send it with.
 * @par Panics
 * If @p line is not an allocated line from irq_line_alloc(), or is disabled.
 * @par Context
 * Any, including interrupt handlers and timer callbacks; raised in one, the handler runs
 * after it returns.
 */
FRAME_MUST_CHECK enum err irq_line_raise(struct irq_line *line);

/**
 * @brief How many interrupts have arrived on @p line.
 * @param line an allocated line.
 * @return The number of interrupts its handler took since it was allocated: every run of a
 * handler from irq_line_attach(), the runs of one from irq_line_attach_shared() that returned true.
 * @par Panics
 * If @p line is not an allocated line.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t irq_line_count(const struct irq_line *line);

/**
 * @brief How many spurious interrupts arrived (and were ignored) since boot.
 * @return The count; also counts interrupts that came on a line with no handler, and interrupts
 * that no handler claimed (irq_line_attach_shared()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t irq_spurious_count(void);

/**
 * @brief Whether the caller runs in interrupt context (an interrupt handler or timer callback).
 * @return true in interrupt context, false in a task.
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool in_interrupt(void);

/** @brief Saved interrupt state, from irq_save(); hand it back to irq_restore(). */
typedef struct {
	uint64_t flags_; /**< @private */
} irq_state;

/**
 * @brief Turn interrupts off on this CPU and return whether they were on, for irq_restore().
 * Pairs nest: `irq_state s = irq_save(); ... irq_restore(s);`. Keep the section short.
 * @return The state before the call, to hand to the matching irq_restore().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
irq_state irq_save(void);

/**
 * @brief Turn interrupts back on if they were on at the matching irq_save().
 * @param state what the matching irq_save() returned.
 * @par Panics
 * If @p state does not come from irq_save().
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
void irq_restore(irq_state state);

/**
 * @brief Whether interrupts are on on this CPU.
 * @return true if interrupts are enabled, false if they are off (in a handler, after irq_save()
 * or spin_lock_irqsave()).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
bool irq_enabled(void);

/** @} */
#endif
