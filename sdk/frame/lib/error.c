/* Names for the error codes of <frame/error.h>. */
#include <frame/error.h>

const char *err_name(enum err e)
{
	static const char *const names[] = {
		"ERR_OK (success)",
		"ERR_NOMEM (out of memory)",
		"ERR_INVAL (invalid argument)",
		"ERR_FAULT (bad address)",
		"ERR_EXIST (already exists)",
		"ERR_BUSY (busy)",
		"ERR_TIMEOUT (timed out)",
		"ERR_UNSUPPORTED (not supported on this machine)",
		"ERR_DENIED (kept by the frame)",
		"ERR_IO (device error)",
	};
	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown error";
}
