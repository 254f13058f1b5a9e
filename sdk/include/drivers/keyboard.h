/**
 * @file keyboard.h
 * @brief The PS/2 keyboard: key presses and releases, and the characters they type.
 * @ingroup drivers_keyboard
 */
#ifndef DRIVERS_KEYBOARD_H
#define DRIVERS_KEYBOARD_H

#include <frame/compiler.h>
#include <frame/error.h>
#include <frame/timer.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * @defgroup drivers_keyboard PS/2 keyboard (driver)
 * @brief Key events and ASCII from the i8042 keyboard controller, through port windows and ISA
 * line 1.
 *
 * @code
 * if (keyboard_open() != ERR_OK)
 *         panic("no keyboard");
 * for (;;) {
 *         char c;
 *         if (keyboard_getchar(&c, SEC(10)) != ERR_OK)
 *                 break;                              // nothing typed for 10 s
 *         console_printf("%c", c);
 * }
 * @endcode
 *
 * The driver is client code (sdk/drivers/keyboard.c), built in the same safe subset as your
 * kernel. It reaches the i8042 through two port windows, the data port 0x60 and the command and
 * status port 0x64 (0x61 between them is the PIT's), and takes ISA line 1. The controller
 * translates the keyboard's codes to scancode set 1, which the driver decodes.
 *
 * **Events.** Every key makes two events: one when it goes down (#key_event.pressed true,
 * repeated while the key is held, as the keyboard repeats it) and one when it comes up. The
 * modifier keys are events too. Each event carries the modifiers held when it happened
 * (#KEY_MOD_SHIFT for either shift key, #KEY_MOD_CTRL for either control key, #KEY_MOD_CAPS_LOCK
 * while caps lock is on) and, for a press that types a character, its ASCII code: letters,
 * digits and punctuation of the US layout, shifted by shift (caps lock shifts the letters
 * alone), control characters with control held (ctrl-c is 3), '\\b' for backspace, '\\n' for
 * enter, '\\t' for tab and 27 for escape. Extended keys (the 0xE0 prefix) have codes 0xE000 and
 * up (#KEY_UP, ...); pause (0xE1 ...) is ignored.
 *
 * **The buffer.** The interrupt handler decodes each byte, puts the event into a ring of
 * #KEYBOARD_BUFFER_EVENTS events and wakes a reader; nothing else. Events that come while the
 * ring is full are dropped and counted by keyboard_dropped() (modifiers still track them, so a
 * shift released while the ring was full is not held for ever). The keyboard's own auto-repeat
 * fills the ring too.
 *
 * **Misuse** panics naming the function, the rule and its caller: reading before
 * keyboard_open() succeeded, a NULL output, or a read in interrupt context (it sleeps).
 * @{
 */

/** @brief How many events the driver keeps for a reader; more are dropped (keyboard_dropped()). */
#define KEYBOARD_BUFFER_EVENTS 64

/** @name Key codes (scancode set 1; extended keys are 0xE000 | their second byte)
 * @{ */
#define KEY_ESCAPE 0x01		/**< Escape. */
#define KEY_BACKSPACE 0x0e	/**< Backspace. */
#define KEY_TAB 0x0f		/**< Tab. */
#define KEY_ENTER 0x1c		/**< Enter. */
#define KEY_LEFT_CTRL 0x1d	/**< Left control. */
#define KEY_LEFT_SHIFT 0x2a	/**< Left shift. */
#define KEY_RIGHT_SHIFT 0x36	/**< Right shift. */
#define KEY_LEFT_ALT 0x38	/**< Left alt. */
#define KEY_SPACE 0x39		/**< Space. */
#define KEY_CAPS_LOCK 0x3a	/**< Caps lock. */
#define KEY_KEYPAD_ENTER 0xe01c /**< Enter on the keypad. */
#define KEY_RIGHT_CTRL 0xe01d	/**< Right control. */
#define KEY_RIGHT_ALT 0xe038	/**< Right alt (AltGr). */
#define KEY_UP 0xe048		/**< Cursor up. */
#define KEY_LEFT 0xe04b		/**< Cursor left. */
#define KEY_RIGHT 0xe04d	/**< Cursor right. */
#define KEY_DOWN 0xe050		/**< Cursor down. */
/** @} */

/** @name Modifiers (#key_event.modifiers)
 * @{ */
#define KEY_MOD_SHIFT 0x01     /**< A shift key is down. */
#define KEY_MOD_CTRL 0x02      /**< A control key is down. */
#define KEY_MOD_CAPS_LOCK 0x04 /**< Caps lock is on. */
/** @} */

/** @brief One key going down or up. */
struct key_event {
	uint16_t code;	   /**< Which key: a set 1 make code, 0xE000 | code for an extended key (KEY_...). */
	bool pressed;	   /**< true when it went down (or repeats), false when it came up. */
	uint8_t modifiers; /**< KEY_MOD_... bits in force for this event (a shift's own press includes it). */
	char ascii;	   /**< The character a press types, or 0 (every release, keys that type nothing). */
};

/**
 * @brief Find the keyboard controller and start taking its interrupts (the probe and init).
 *
 * Checks that the controller answers (its status register reads as something other than
 * 0xff, and it returns its configuration byte), turns on its keyboard interrupt and translation
 * to set 1 if the firmware left them off, throws away bytes left in its output buffer, and
 * enables ISA line 1. Events typed from then on are kept.
 * @retval ERR_OK the keyboard is open; keyboard_read_event() and keyboard_getchar() may be used.
 * @retval ERR_UNSUPPORTED there is no i8042 (the status register reads 0xff, or it does not
 *         answer a command): nothing was kept.
 * @retval ERR_BUSY it is open already, or its ports or its line are another driver's.
 * @retval ERR_NOMEM no memory for a port window or the line.
 * @par Panics
 * In interrupt context.
 * @par Context
 * Tasks only (it acquires port windows and a line; panics in interrupt context).
 */
FRAME_MUST_CHECK enum err keyboard_open(void);

/**
 * @brief Take the oldest key event, sleeping until there is one or @p timeout passes.
 * @param out receives the event; untouched unless the result is #ERR_OK.
 * @param timeout the longest wait, or #FOREVER.
 * @retval ERR_OK @p out holds the event.
 * @retval ERR_TIMEOUT no event came within @p timeout.
 * @par Panics
 * If keyboard_open() has not succeeded, @p out is NULL, or in interrupt context.
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err keyboard_read_event(struct key_event *out, struct duration timeout);

/**
 * @brief Take events until a press that types a character, and give that character; the
 * releases and keys without a character on the way are consumed (the release of the key that
 * typed it comes later, and waits in the buffer for the next read).
 * @param out receives the character (see the events above for which); untouched unless the
 *        result is #ERR_OK.
 * @param timeout the longest wait for the character, in all, or #FOREVER.
 * @retval ERR_OK @p out holds the character.
 * @retval ERR_TIMEOUT no character came within @p timeout.
 * @par Panics
 * As keyboard_read_event().
 * @par Context
 * May sleep: tasks only (panics in interrupt context).
 */
FRAME_MUST_CHECK enum err keyboard_getchar(char *out, struct duration timeout);

/**
 * @brief How many events were dropped because the buffer held #KEYBOARD_BUFFER_EVENTS already.
 * @return The count since keyboard_open() (0 before it).
 * @par Context
 * Any, including interrupt handlers and timer callbacks.
 */
uint64_t keyboard_dropped(void);

/** @} */
#endif
