/*
 * A small printf engine: %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width and precision
 * (also "*"), length modifiers hh h l ll z t j. Enough for kernel diagnostics; no floating point
 * (kernels run without FPU state). Any other conversion is shown as unsupported, and the rest of
 * the format is printed as it is: the argument's type is unknown, so no later one can be read.
 */
#include "lib/format.h"
#include "mm/kasan.h"
#include <stdbool.h>
#include <stdint.h>

#define FIELD_MAX 4096 /* widths and precisions beyond this are cut to it */

struct spec {
	bool left, zero, plus, space, alt;
	int width, precision; /* 0..FIELD_MAX; precision -1: none */
	char length;	      /* 'H' hh, 'h', 'l', 'L' ll/j/z/t, 0 int */
};

static void pad(format_sink sink, void *ctx, char c, size_t n)
{
	for (; n; n--)
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
	sink(ctx, prefix, plen);
	pad(sink, ctx, '0', zeros);
	sink(ctx, digits, ndigits);
	if (sp->left)
		pad(sink, ctx, ' ', fill);
	return plen + zeros + ndigits + fill;
}

/* conv is d (signed), u, o, x, X or p. C's rules: '+' and ' ' only for signed conversions;
 * "0x" only for a non-zero value; '#' with o makes sure the first digit is 0. */
static size_t format_int(format_sink sink, void *ctx, const struct spec *sp, char conv, uint64_t v, bool negative)
{
	char buf[24];
	size_t n = sizeof(buf);
	unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
	const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	bool zero = v == 0;
	do {
		buf[--n] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->precision == 0 && zero)
		n = sizeof(buf); /* "%.0d" of zero prints nothing */
	const char *prefix = "";
	if (conv == 'd')
		prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	else if (conv == 'p' || (sp->alt && base == 16 && !zero))
		prefix = conv == 'X' ? "0X" : "0x";
	else if (sp->alt && base == 8 && (n == sizeof(buf) || buf[n] != '0') && sp->precision <= (int)(sizeof(buf) - n))
		prefix = "0";
	return emit_number(sink, ctx, sp, prefix, buf + n, sizeof(buf) - n);
}

/* len bytes of s, or up to its NUL if len is (size_t)-1, padded to the width. */
static size_t emit_text(format_sink sink, void *ctx, const struct spec *sp, const char *s, size_t len)
{
	size_t fill = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
	if (!sp->left)
		pad(sink, ctx, ' ', fill);
	sink(ctx, s, len);
	if (sp->left)
		pad(sink, ctx, ' ', fill);
	return len + fill;
}

/* Whether the string's byte at p may be read for the code at caller (NULL: the frame itself);
 * for client code, the address sanitizer checks each byte before it is read. */
static void may_read(const char *p, const void *caller)
{
	if (caller)
		kasan_check_client(p, 1, false, caller);
}

static size_t format_str(format_sink sink, void *ctx, const struct spec *sp, const char *s, const void *caller)
{
	if (!s)
		s = "(null)";
	size_t len = 0;
	while ((sp->precision < 0 || len < (size_t)sp->precision) && (may_read(s + len, caller), s[len]))
		len++;
	return emit_text(sink, ctx, sp, s, len);
}

/* A decimal field (width or precision), saturated at FIELD_MAX. */
static const char *parse_field(const char *f, int *out)
{
	*out = 0;
	while (*f >= '0' && *f <= '9') {
		if (*out < FIELD_MAX)
			*out = *out * 10 + (*f - '0');
		f++;
	}
	if (*out > FIELD_MAX)
		*out = FIELD_MAX;
	return f;
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
		int w = va_arg(*ap, int);
		sp->left |= w < 0;
		sp->width = w < -FIELD_MAX || w > FIELD_MAX ? FIELD_MAX : w < 0 ? -w : w;
		f++;
	} else {
		f = parse_field(f, &sp->width);
	}
	if (*f == '.') {
		f++;
		if (*f == '*') {
			int p = va_arg(*ap, int);
			sp->precision = p < 0 ? -1 : p > FIELD_MAX ? FIELD_MAX : p; /* negative: as if omitted */
			f++;
		} else {
			f = parse_field(f, &sp->precision);
		}
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

static size_t format_conv(format_sink sink, void *ctx, const struct spec *sp, char c, va_list *ap, const void *caller)
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
		return format_str(sink, ctx, sp, va_arg(*ap, const char *), caller);
	case 'c': {
		char ch = (char)va_arg(*ap, int);
		return emit_text(sink, ctx, sp, &ch, 1);
	}
	}
	return 0;
}

static bool supported(char c)
{
	for (const char *s = "diuxXopsc"; *s; s++)
		if (*s == c)
			return true;
	return false;
}

/* An unsupported conversion (from % to conv): say so, then print the rest of fmt as it is. */
static size_t unsupported(format_sink sink, void *ctx, const char *percent, const char *conv)
{
	const char *end = *conv ? conv + 1 : conv, *rest = end;
	while (*rest)
		rest++;
	sink(ctx, "[unsupported conversion ", 24);
	sink(ctx, percent, (size_t)(end - percent));
	sink(ctx, "]", 1);
	sink(ctx, end, (size_t)(rest - end));
	return 25 + (size_t)(rest - percent);
}

size_t format_v(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
	return format_v_for(sink, ctx, NULL, fmt, ap);
}

size_t format_v_for(format_sink sink, void *ctx, const void *caller, const char *fmt, va_list ap)
{
	for (size_t i = 0; caller && (may_read(fmt + i, caller), fmt[i]); i++)
		; /* the whole format string, before any of it is read */
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
		const char *percent = fmt;
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!supported(*fmt)) {
			total += unsupported(sink, ctx, percent, fmt);
			break;
		}
		total += format_conv(sink, ctx, &sp, *fmt, &args, caller);
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
	return format_vbuf_for(buf, size, NULL, fmt, ap);
}

size_t format_vbuf_for(char *buf, size_t size, const void *caller, const char *fmt, va_list ap)
{
	struct buf_ctx b = {buf, size, 0};
	size_t n = format_v_for(buf_sink, &b, caller, fmt, ap);
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
