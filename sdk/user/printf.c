/*
 * The SDK's user runtime: printf and friends, formatting into a buffer that is written to the
 * file descriptor in one write() when it fills or the format ends.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Where formatted text goes: a caller's buffer (snprintf), or a chunk flushed to fd. */
struct out {
	char *buf;
	size_t size, used; /* used: characters put in buf (and, for snprintf, those that did not fit) */
	size_t count;	   /* every character formatted */
	int fd;		   /* >= 0: flush to it when the buffer fills */
	char chunk[256];
};

static void put(struct out *o, char c)
{
	if (o->fd >= 0 && o->used == o->size) {
		write(o->fd, o->buf, o->used);
		o->used = 0;
	}
	if (o->used < o->size)
		o->buf[o->used] = c;
	o->used++;
	o->count++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	int left, zero, width, precision; /* precision -1: none */
	char length;			  /* 0, 'h', 'H' (hh), 'l', 'L' (ll), 'z' */
};

static void text(struct out *o, const struct spec *sp, const char *s, int len)
{
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

static void number(struct out *o, const struct spec *sp, uint64_t v, int base, int upper, int negative,
		   const char *prefix)
{
	char digits[24];
	int n = 0;
	bool v_was_zero = v == 0;
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do
		digits[n++] = set[v % (unsigned)base];
	while (v /= (unsigned)base);
	if (sp->precision == 0 && v_was_zero)
		n = 0;					       /* C: a zero with precision 0 has no digits */
	int zeros = sp->precision > n ? sp->precision - n : 0; /* put, never stored: digits[] is small */
	int plen = (int)strlen(prefix) + negative, len = n + zeros + plen;
	if (!sp->left && !(sp->zero && sp->precision < 0))
		pad(o, ' ', sp->width - len);
	if (negative)
		put(o, '-');
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (!sp->left && sp->zero && sp->precision < 0)
		pad(o, '0', sp->width - len);
	pad(o, '0', zeros);
	while (n)
		put(o, digits[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

#define FIELD_MAX 4096 /* the widest width or precision honoured */

static int field(const char **f, va_list *ap)
{
	if (**f == '*') {
		(*f)++;
		int v = va_arg(*ap, int);
		return v > FIELD_MAX ? FIELD_MAX : v;
	}
	int v = 0;
	while (**f >= '0' && **f <= '9') {
		int d = *(*f)++ - '0';
		v = v > (FIELD_MAX - d) / 10 ? FIELD_MAX : v * 10 + d; /* saturated, never overflows */
	}
	return v;
}

static void format(struct out *o, const char *f, va_list ap)
{
	va_list args;
	va_copy(args, ap);
	for (; *f; f++) {
		if (*f != '%') {
			put(o, *f);
			continue;
		}
		struct spec sp = {.precision = -1};
		for (f++; *f == '-' || *f == '0'; f++)
			*(*f == '-' ? &sp.left : &sp.zero) = 1;
		sp.width = field(&f, &args);
		if (*f == '.') {
			f++;
			sp.precision = field(&f, &args);
		}
		if (*f == 'h' || *f == 'l') {
			sp.length = *f++;
			if (*f == sp.length) {
				sp.length = sp.length == 'h' ? 'H' : 'L';
				f++;
			}
		} else if (*f == 'z') {
			sp.length = *f++;
		}
		int64_t s;
		uint64_t u;
		switch (*f) {
		case 'd':
		case 'i':
			s = sp.length == 'L' || sp.length == 'l' || sp.length == 'z' ? va_arg(args, int64_t)
										     : va_arg(args, int);
			s = sp.length == 'h' ? (short)s : sp.length == 'H' ? (signed char)s : s;
			number(o, &sp, s < 0 ? -(uint64_t)s : (uint64_t)s, 10, 0, s < 0, "");
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = sp.length == 'L' || sp.length == 'l' || sp.length == 'z' ? va_arg(args, uint64_t)
										     : va_arg(args, unsigned);
			u = sp.length == 'h' ? (unsigned short)u : sp.length == 'H' ? (unsigned char)u : u;
			number(o, &sp, u, *f == 'o' ? 8 : *f == 'u' ? 10 : 16, *f == 'X', 0, "");
			break;
		case 'p':
			number(o, &sp, (uint64_t)(uintptr_t)va_arg(args, void *), 16, 0, 0, "0x");
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			text(o, &sp, &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(args, const char *);
			if (!str)
				str = "(null)";
			int len = 0;
			while (str[len] && (sp.precision < 0 || len < sp.precision))
				len++;
			text(o, &sp, str, len);
			break;
		}
		case '%':
			put(o, '%');
			break;
		default: /* not a conversion this runtime knows: show it, rather than guess at an argument */
			text(o, &sp, "[unsupported conversion]", 24);
			va_end(args);
			return;
		}
	}
	va_end(args);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size ? size - 1 : 0, .fd = -1};
	format(&o, fmt, ap);
	if (size)
		buf[o.used < size ? o.used : size - 1] = '\0';
	return (int)o.count;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	if (fd < 0)
		return -1;
	struct out o = {.fd = fd};
	o.buf = o.chunk;
	o.size = sizeof(o.chunk);
	format(&o, fmt, ap);
	if (o.used)
		write(fd, o.buf, o.used);
	return (int)o.count;
}

int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(1, fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *s)
{
	return dprintf(1, "%s\n", s);
}

int putchar(int c)
{
	char ch = (char)c;
	return write(1, &ch, 1) == 1 ? c : -1;
}
