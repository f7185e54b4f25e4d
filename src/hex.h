/*
 * hex: bytes as lowercase hex text and back, the one spelling of webhook
 * keys (in URLs and the journal) and of a run's name.
 */
#ifndef NUMDIALER_HEX_H
#define NUMDIALER_HEX_H

#include <stddef.h>

/* Writes len bytes of buf as 2*len lowercase hex characters and a NUL:
 * out holds at least 2*len + 1 bytes. */
void hex_encode(const unsigned char *buf, size_t len, char *out);

/*
 * Reads text, a NUL-terminated string of exactly 2*len lowercase hex
 * characters, into len bytes of out: 0, or -1 (out then undefined) for any
 * other length or character. Reads no further than text's NUL.
 */
int hex_decode(const char *text, unsigned char *out, size_t len);

#endif
