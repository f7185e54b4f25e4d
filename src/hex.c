/* hex: bytes as lowercase hex text and back. */
#include "hex.h"

/* A lowercase hex digit's value, or -1. */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
hex_encode(const unsigned char *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
hex_decode(const char *text, unsigned char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		/* A NUL is no digit: a short text stops here, before its end. */
		int hi = hex_digit(text[2 * i]);
		int lo = hi < 0 ? -1 : hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return text[2 * len] == '\0' ? 0 : -1;
}
