#include "vk/arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks are chained; a request that needs more than one block is rare, so a simple
 * bump allocator with 4 KiB blocks (or one exact block for a large object) is enough. */
typedef struct block {
    struct block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
} block;

struct vk_arena {
    block *head;
};

enum { BLOCK_SIZE = 4096 };

static void out_of_memory(size_t size) {
    fprintf(stderr, "level=error msg=\"out of memory\" bytes=%zu\n", size);
    abort();
}

vk_arena *vk_arena_new(void) {
    vk_arena *arena = calloc(1, sizeof(vk_arena));
    if (!arena) out_of_memory(sizeof(vk_arena));
    return arena;
}

void vk_arena_free(vk_arena *arena) {
    if (!arena) return;
    for (block *b = arena->head; b;) {
        block *next = b->next;
        /* a call's arena may have held a credential (a granted secret key): wipe it
         * rather than hand it to the next malloc */
        explicit_bzero(b->data, b->used);
        free(b);
        b = next;
    }
    free(arena);
}

void *vk_arena_alloc(vk_arena *arena, size_t size) {
    const size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0) size = align;
    block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        block *fresh = malloc(sizeof(block) + cap);
        if (!fresh) out_of_memory(sizeof(block) + cap);
        fresh->used = 0;
        fresh->size = cap;
        if (b && size > BLOCK_SIZE) {
            /* keep the partly used head block current; chain the big one behind it */
            fresh->next = b->next;
            b->next = fresh;
        } else {
            fresh->next = b;
            arena->head = fresh;
        }
        b = fresh;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *vk_arena_strdup(vk_arena *arena, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *copy = vk_arena_alloc(arena, n);
    memcpy(copy, s, n);
    return copy;
}

char *vk_arena_sprintf(vk_arena *arena, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *out = vk_arena_alloc(arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}
