/*
 * outbox: answers the web server has not taken at once, and the thread
 * that sends them as it reads, dropping a connection that takes no byte.
 */
#ifndef NUMDIALER_OUTBOX_H
#define NUMDIALER_OUTBOX_H

#include <stdbool.h>

#include "http.h"
#include "wire.h"

#define OUTBOX_STALL_MS 5000               /* no byte taken this long: the
                                              connection is dropped */
#define OUTBOX_BYTES_MAX ((size_t)256 << 20) /* answers held at once; past
                                              it a thread writes its own */

struct outbox;

/* Starts the sending thread; kept connections go to *keeper (copied) once
 * answered. NULL on failure. */
struct outbox *outbox_start(const struct wire_keeper *keeper);

/*
 * Sends *answer on the connection fd as the reply to FastCGI request
 * request_id, and closes fd once it is sent and the web server has
 * nothing more to send (or once either stalled for OUTBOX_STALL_MS).
 * A kept connection (keep: gate_next's) is never waited on for more: the
 * rest of its request is read away first (wire_drain), and once the
 * answer is sent whole it goes to the keeper instead of being closed.
 * Takes fd and *answer in every case (*answer is zeroed). Returns as soon
 * as the rest is queued; only when the outbox already holds
 * OUTBOX_BYTES_MAX does the caller write it itself, dropping it after
 * OUTBOX_STALL_MS without a byte taken.
 */
void outbox_send(struct outbox *o, int fd, int request_id,
    struct http_answer *answer, bool keep);

/* Ends the thread, dropping the answers it still holds, and frees o (NULL
 * is fine). Call once no thread may call outbox_send. */
void outbox_stop(struct outbox *o);

#endif
