/* printf-style formatting into any sink: the engine behind the console, logs, panics and ktests. */
#ifndef FRAME_LIB_FORMAT_H
#define FRAME_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(void *ctx, const char *s, size_t len);

/* Format fmt with ap into sink; returns the number of characters produced. */
size_t format_v(format_sink sink, void *ctx, const char *fmt, va_list ap);
/* snprintf semantics: always NUL-terminates when size > 0; returns the untruncated length. */
size_t format_buf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t format_vbuf(char *buf, size_t size, const char *fmt, va_list ap);
/* The same for a public function called by the code at caller: if that is client code, every
 * byte of the format string and of each %s is checked (mm/kasan.h) before it is read. */
size_t format_v_for(format_sink sink, void *ctx, const void *caller, const char *fmt, va_list ap);
size_t format_vbuf_for(char *buf, size_t size, const void *caller, const char *fmt, va_list ap);

#endif
