/*
 * A small printf engine: %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width and precision
 * (also "*"), length modifiers hh h l ll z t j. Enough for kernel diagnostics; no floating point.
 */
#include "lib/format.h"
#include <stdbool.h>
#include <stdint.h>

struct spec {
	bool left, zero, plus, space, alt;
	int width, precision; /* precision -1: none */
	char length;	      /* 'H' hh, 'h', 'l', 'L' ll/j/z/t, 0 int */
};

static void pad(format_sink sink, void *ctx, char c, int n)
{
	while (n-- > 0)
		sink(ctx, &c, 1);
}

/* Emit [prefix][zeros][digits] padded to width. */
static size_t emit_number(format_sink sink, void *ctx, const struct spec *sp, const char *prefix, const char *digits,
			  int ndigits)
{
	int plen = 0;
	while (prefix[plen])
		plen++;
	int zeros = sp->precision > ndigits ? sp->precision - ndigits : 0;
	int body = plen + zeros + ndigits;
	int fill = sp->width > body ? sp->width - body : 0;
	if (sp->zero && !sp->left && sp->precision < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!sp->left)
		pad(sink, ctx, ' ', fill);
	sink(ctx, prefix, (size_t)plen);
	pad(sink, ctx, '0', zeros);
	sink(ctx, digits, (size_t)ndigits);
	if (sp->left)
		pad(sink, ctx, ' ', fill);
	return (size_t)(plen + zeros + ndigits + fill);
}

static size_t format_int(format_sink sink, void *ctx, const struct spec *sp, char conv, uint64_t v, bool negative)
{
	char buf[24];
	int n = sizeof(buf);
	unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
	const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		buf[--n] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->precision == 0 && n == (int)sizeof(buf) - 1 && buf[n] == '0')
		n = sizeof(buf); /* "%.0d" of zero prints nothing */
	const char *prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	if (conv == 'p' || (sp->alt && base == 16))
		prefix = conv == 'X' ? "0X" : "0x";
	else if (sp->alt && base == 8)
		prefix = "0";
	return emit_number(sink, ctx, sp, prefix, buf + n, (int)sizeof(buf) - n);
}

static size_t format_str(format_sink sink, void *ctx, const struct spec *sp, const char *s)
{
	if (!s)
		s = "(null)";
	int len = 0;
	while (s[len] && (sp->precision < 0 || len < sp->precision))
		len++;
	int fill = sp->width > len ? sp->width - len : 0;
	if (!sp->left)
		pad(sink, ctx, ' ', fill);
	sink(ctx, s, (size_t)len);
	if (sp->left)
		pad(sink, ctx, ' ', fill);
	return (size_t)(len + fill);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.precision = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->precision = sp->precision * 10 + (*f++ - '0');
	}
	if (f[0] == 'h' && f[1] == 'h') {
		sp->length = 'H';
		f += 2;
	} else if (f[0] == 'l' && f[1] == 'l') {
		sp->length = 'L';
		f += 2;
	} else if (*f == 'h') {
		sp->length = 'h';
		f++;
	} else if (*f == 'l' || *f == 'z' || *f == 't' || *f == 'j') {
		sp->length = 'L';
		f++;
	}
	return f;
}

static size_t format_conv(format_sink sink, void *ctx, const struct spec *sp, char c, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		int64_t v = sp->length == 'L' ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		if (sp->length == 'h')
			v = (short)v;
		else if (sp->length == 'H')
			v = (signed char)v;
		return format_int(sink, ctx, sp, 'd', v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o': {
		uint64_t v = sp->length == 'L' ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
		if (sp->length == 'h')
			v = (unsigned short)v;
		else if (sp->length == 'H')
			v = (unsigned char)v;
		return format_int(sink, ctx, sp, c, v, false);
	}
	case 'p': {
		struct spec p = *sp;
		if (p.precision < 0)
			p.precision = 16;
		return format_int(sink, ctx, &p, 'p', (uint64_t)(uintptr_t)va_arg(*ap, void *), false);
	}
	case 's':
		return format_str(sink, ctx, sp, va_arg(*ap, const char *));
	case 'c': {
		char ch[2] = {(char)va_arg(*ap, int), 0};
		struct spec s = *sp;
		s.precision = 1;
		return format_str(sink, ctx, &s, ch[0] ? ch : "\0");
	}
	default: { /* unknown conversion: print it as written so the mistake is visible */
		char bad[2] = {'%', c};
		sink(ctx, bad, c ? 2 : 1);
		return c ? 2 : 1;
	}
	}
}

size_t format_v(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
	size_t total = 0;
	va_list args;
	va_copy(args, ap);
	while (*fmt) {
		const char *start = fmt;
		while (*fmt && *fmt != '%')
			fmt++;
		if (fmt > start) {
			sink(ctx, start, (size_t)(fmt - start));
			total += (size_t)(fmt - start);
		}
		if (!*fmt)
			break;
		if (fmt[1] == '%') {
			sink(ctx, "%", 1);
			total++;
			fmt += 2;
			continue;
		}
		struct spec sp;
		fmt = parse_spec(fmt + 1, &sp, &args);
		total += format_conv(sink, ctx, &sp, *fmt, &args);
		if (*fmt)
			fmt++;
	}
	va_end(args);
	return total;
}

struct buf_ctx {
	char *buf;
	size_t size, used;
};

static void buf_sink(void *ctx, const char *s, size_t len)
{
	struct buf_ctx *b = ctx;
	for (size_t i = 0; i < len; i++, b->used++)
		if (b->used + 1 < b->size)
			b->buf[b->used] = s[i];
}

size_t format_vbuf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = {buf, size, 0};
	size_t n = format_v(buf_sink, &b, fmt, ap);
	if (size)
		buf[b.used < size ? b.used : size - 1] = '\0';
	return n;
}

size_t format_buf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = format_vbuf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
