/* The append journal beside state.json: one line of JSON per commit, appended under the
 * store lock and made durable by fdatasync outside it, several commits per sync (group
 * commit). This file knows lines and durability; what a line means is store.c's. */
#ifndef SIM_JOURNAL_H
#define SIM_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_journal sim_journal;

/* Opens (creating) path for appending. NULL with a message in err. */
sim_journal *journal_open(const char *path, char *err, size_t errlen);
void journal_close(sim_journal *journal);

/* Calls apply for every complete line, in order (line numbers from 1). A last line without
 * its newline is a write that kill -9 cut short, never acknowledged: it is dropped (and cut
 * off the file, so the next append starts a fresh line). A complete line that is not JSON,
 * or that apply refuses (returns -1 with err set), is an error: the journal is damaged.
 * Returns the number of lines applied, or -1 with a message in err. */
typedef int (*journal_apply_fn)(void *arg, json_t *record, char *err, size_t errlen);
long journal_replay(sim_journal *journal, journal_apply_fn apply, void *arg, char *err, size_t errlen);

/* Appends one record line (a newline is added) and returns its ticket. Call under the
 * store lock, so the order of lines is the order of commits. 0 on success; on failure the
 * file is cut back to where it was. */
int journal_append(sim_journal *journal, const char *line, size_t len, uint64_t *ticket);
/* The ticket of the last line appended (0 = none yet). */
uint64_t journal_last_ticket(sim_journal *journal);
/* Returns once every line up to ticket is on disk; one fdatasync covers every line
 * appended before it started, so concurrent callers share it. Call without the store
 * lock. 0 on success, -1 when the disk refused (then it fails from there on). */
int journal_sync(sim_journal *journal, uint64_t ticket);
/* Empties the file once state.json holds everything in it (compaction, store.c). Call
 * under the store lock. Every ticket so far counts as durable: state.json has it. */
int journal_reset(sim_journal *journal);
/* Bytes in the file. */
size_t journal_size(const sim_journal *journal);

#endif
