/* A per-request arena: every allocation lives until vk_arena_free. RPC handlers build
 * response messages (strings, repeated fields, sub-messages) from the call's arena, so
 * no response needs its own free function and no early return can leak. */
#ifndef VK_ARENA_H
#define VK_ARENA_H

#include <stddef.h>

typedef struct vk_arena vk_arena;

/* Never returns NULL (see vk_arena_alloc). */
vk_arena *vk_arena_new(void);
void vk_arena_free(vk_arena *arena);

/* Zeroed memory aligned for any type. Like redis, the process treats memory exhaustion
 * as fatal: it logs and aborts (the orchestrator restarts it) rather than thread an
 * "out of memory" path through every handler. Never returns NULL. */
void *vk_arena_alloc(vk_arena *arena, size_t size);
char *vk_arena_strdup(vk_arena *arena, const char *s);
char *vk_arena_sprintf(vk_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
