/*
 * The PS/2 keyboard, as a client of the frame: the i8042's data port (0x60) and command and
 * status port (0x64) through two windows, ISA line 1. The handler decodes scancode set 1 into key
 * events, with the modifiers held at that moment, into a ring a task reads; a semaphore counts
 * the events in the ring.
 */
#include <drivers/keyboard.h>
#include <frame/atomic.h>
#include <frame/io.h>
#include <frame/irq.h>
#include <frame/panic.h>
#include <frame/sync.h>

#define DATA_PORT 0x60
#define COMMAND_PORT 0x64
#define STATUS_OUTPUT_FULL 0x01 /* a byte waits in the data port */
#define STATUS_INPUT_FULL 0x02	/* the controller has not taken the last byte written yet */
#define STATUS_AUX 0x20		/* the waiting byte is the mouse's */
#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CONFIG_KEYBOARD_IRQ 0x01
#define CONFIG_KEYBOARD_OFF 0x10
#define CONFIG_TRANSLATE 0x40
#define TRIES 100000 /* status polls while the controller answers a command */
#define FLUSH_MAX 64 /* bytes a handler run (or the flush) takes at most */
#define BREAK 0x80   /* in set 1, a release is the press's code with bit 7 set */

static struct io_ports *data, *command;
static struct irq_line *line;
static bool opened;

static struct spinlock ring_lock = SPINLOCK_INIT("keyboard events");
static struct semaphore available = SEMAPHORE_INIT("keyboard events", 0);
static struct key_event ring[KEYBOARD_BUFFER_EVENTS];
static uint32_t head, tail; /* read at head, written at tail; tail - head events in the ring */
static atomic_t dropped = ATOMIC_INIT(0);

/* The decoder's state; only the handler (or keyboard_open() with interrupts off) touches it. */
static uint8_t modifiers;
static bool left_shift, right_shift, left_ctrl, right_ctrl, extended;
static int pause_bytes; /* bytes of the pause key's sequence (E1 1D 45 E1 9D C5) still to skip */

/* What the keys of set 1 up to the space bar type, unshifted and shifted (US layout). */
static const char lower[] = "\0\033"
			    "1234567890-=\b\t"
			    "qwertyuiop[]\n\0"
			    "asdfghjkl;'`\0\\"
			    "zxcvbnm,./\0*\0 ";
static const char upper[] = "\0\033"
			    "!@#$%^&*()_+\b\t"
			    "QWERTYUIOP{}\n\0"
			    "ASDFGHJKL:\"~\0|"
			    "ZXCVBNM<>?\0*\0 ";

/* The character a press of @code types with the modifiers in force, or 0. */
static char ascii_of(uint16_t code)
{
	if (code == KEY_KEYPAD_ENTER)
		return '\n';
	if (code == 0xe035) /* the keypad's slash */
		return '/';
	if (code >= sizeof(lower) - 1)
		return 0;
	char c = lower[code];
	bool letter = c >= 'a' && c <= 'z';
	bool shift = modifiers & KEY_MOD_SHIFT;
	if (letter && (modifiers & KEY_MOD_CAPS_LOCK))
		shift = !shift;
	if (shift)
		c = upper[code];
	if (letter && (modifiers & KEY_MOD_CTRL))
		c = (char)(c & 0x1f);
	return c;
}

/* Track the modifier keys; recompute the modifier bits. */
static void track_modifiers(uint16_t code, bool pressed)
{
	if (code == KEY_LEFT_SHIFT)
		left_shift = pressed;
	else if (code == KEY_RIGHT_SHIFT)
		right_shift = pressed;
	else if (code == KEY_LEFT_CTRL)
		left_ctrl = pressed;
	else if (code == KEY_RIGHT_CTRL)
		right_ctrl = pressed;
	else if (code == KEY_CAPS_LOCK && pressed)
		modifiers ^= KEY_MOD_CAPS_LOCK;
	modifiers = (uint8_t)((modifiers & KEY_MOD_CAPS_LOCK) | (left_shift || right_shift ? KEY_MOD_SHIFT : 0) |
			      (left_ctrl || right_ctrl ? KEY_MOD_CTRL : 0));
}

/* Put an event into the ring and wake a reader, or count it as dropped. */
static void push(struct key_event ev)
{
	spin_lock(&ring_lock);
	bool full = tail - head == KEYBOARD_BUFFER_EVENTS;
	if (!full)
		ring[tail++ % KEYBOARD_BUFFER_EVENTS] = ev;
	spin_unlock(&ring_lock);
	if (full)
		atomic_inc(&dropped);
	else
		sem_up(&available);
}

/* Decode one byte from the keyboard (interrupts off). */
static void decode(uint8_t byte)
{
	if (pause_bytes > 0) {
		pause_bytes--;
		return;
	}
	if (byte == 0xe1) {
		pause_bytes = 5;
		return;
	}
	if (byte == 0xe0) {
		extended = true;
		return;
	}
	/* The keyboard's answers and errors (ack, resend, echo, overrun) are no keys. */
	if (!extended && (byte == 0x00 || byte == 0xfa || byte == 0xfe || byte == 0xee || byte == 0xff))
		return;
	uint16_t code = (uint16_t)((extended ? 0xe000 : 0) | (byte & ~BREAK));
	bool pressed = !(byte & BREAK);
	extended = false;
	if (code == 0xe02a || code == 0xe036) /* the shifts some keys fake around themselves */
		return;
	track_modifiers(code, pressed);
	push((struct key_event){code, pressed, modifiers, pressed ? ascii_of(code) : 0});
}

/* Take the bytes the controller holds (at most FLUSH_MAX); decode the keyboard's if @decode_them. */
static void drain(bool decode_them)
{
	for (int i = 0; i < FLUSH_MAX; i++) {
		uint8_t status = io_in8(command, 0);
		if (!(status & STATUS_OUTPUT_FULL))
			return;
		uint8_t byte = io_in8(data, 0);
		if (decode_them && !(status & STATUS_AUX))
			decode(byte);
	}
}

/* ISA line 1, interrupt context: read, decode, queue, wake. */
static void on_keyboard(void *ctx)
{
	(void)ctx;
	drain(true);
}

/* Wait until the controller has taken the last byte written; false if it never does. */
static bool wait_input_empty(void)
{
	for (int i = 0; i < TRIES; i++)
		if (!(io_in8(command, 0) & STATUS_INPUT_FULL))
			return true;
	return false;
}

/* Send a command and read its one-byte answer; false if the controller does not answer. */
static bool command_answer(uint8_t cmd, uint8_t *answer)
{
	if (!wait_input_empty())
		return false;
	io_out8(command, 0, cmd);
	for (int i = 0; i < TRIES; i++)
		if (io_in8(command, 0) & STATUS_OUTPUT_FULL) {
			*answer = io_in8(data, 0);
			return true;
		}
	return false;
}

/* Probe and set up the controller (its interrupt off until we have the line); ERR_UNSUPPORTED if none. */
static enum err setup_controller(void)
{
	if (io_in8(command, 0) == 0xff) /* nothing decodes the port */
		return ERR_UNSUPPORTED;
	drain(false);
	uint8_t config;
	if (!command_answer(CMD_READ_CONFIG, &config))
		return ERR_UNSUPPORTED;
	uint8_t want = (uint8_t)((config | CONFIG_KEYBOARD_IRQ | CONFIG_TRANSLATE) & ~CONFIG_KEYBOARD_OFF);
	if (want != config) {
		if (!wait_input_empty())
			return ERR_UNSUPPORTED;
		io_out8(command, 0, CMD_WRITE_CONFIG);
		if (!wait_input_empty())
			return ERR_UNSUPPORTED;
		io_out8(data, 0, want);
	}
	return ERR_OK;
}

static void release_ports(void)
{
	if (data)
		io_ports_release(data);
	if (command)
		io_ports_release(command);
	data = command = NULL;
}

enum err keyboard_open(void)
{
	precondition(!in_interrupt(), "the keyboard is opened by a task, not in interrupt context");
	if (opened)
		return ERR_BUSY;
	enum err e = io_ports_acquire(&data, DATA_PORT, 1, IO_PORTS_READ_WRITE);
	if (e == ERR_OK)
		e = io_ports_acquire(&command, COMMAND_PORT, 1, IO_PORTS_READ_WRITE);
	if (e == ERR_OK)
		e = setup_controller();
	if (e == ERR_OK)
		e = irq_line_alloc_isa(&line, 1);
	if (e != ERR_OK) {
		release_ports();
		return e;
	}
	irq_line_attach(line, on_keyboard, NULL);
	/* Interrupts off: bytes left from before are thrown away; a byte that comes between that and
	 * the unmask raised its edge while the line was masked, so it is decoded here. */
	irq_state s = irq_save();
	drain(false);
	opened = true;
	irq_line_enable(line);
	drain(true);
	irq_restore(s);
	return ERR_OK;
}

/* The checks keyboard_read_event() and keyboard_getchar() share; the caller reports them. */
#define CHECK_READ(out) \
	do { \
		precondition(opened, "keyboard_open() must succeed before the keyboard is read"); \
		precondition((out) != NULL, "out must not be NULL"); \
		precondition(!in_interrupt(), "the keyboard is read by tasks (it sleeps), not in interrupt context"); \
	} while (0)

/* Take the oldest event; there is one (the caller took its unit of `available`). */
static struct key_event pop(void)
{
	spin_lock_irqsave(&ring_lock);
	struct key_event ev = ring[head++ % KEYBOARD_BUFFER_EVENTS];
	spin_unlock_irqrestore(&ring_lock);
	return ev;
}

enum err keyboard_read_event(struct key_event *out, struct duration timeout)
{
	CHECK_READ(out);
	enum err e = sem_down(&available, timeout);
	if (e == ERR_OK)
		*out = pop();
	return e;
}

enum err keyboard_getchar(char *out, struct duration timeout)
{
	CHECK_READ(out);
	uint64_t start = time_now_ns();
	for (;;) {
		uint64_t spent = time_now_ns() - start;
		struct duration left =
			timeout.ns == FOREVER.ns ? FOREVER : NSEC(spent < timeout.ns ? timeout.ns - spent : 0);
		enum err e = sem_down(&available, left);
		if (e != ERR_OK)
			return e;
		struct key_event ev = pop();
		if (ev.ascii) {
			*out = ev.ascii;
			return ERR_OK;
		}
	}
}

uint64_t keyboard_dropped(void)
{
	return (uint64_t)atomic_load(&dropped);
}
