/* The console's font: ASCII 0-127, 16 rows of 8 pixels each (bit 7 leftmost). Generated when
 * the SDK is built (sdk/tools/psf-font, from a Debian console font; see the Makefile). */
#ifndef DRIVERS_FBCON_FONT_H
#define DRIVERS_FBCON_FONT_H

#include <stdint.h>

#define FONT_WIDTH 8
#define FONT_HEIGHT 16

extern const uint8_t fbcon_font[128][FONT_HEIGHT];

#endif
