/* This process's mount table (/proc/self/mountinfo), for the suites that mount through
 * the plugin: what a test left mounted is found and detached before anything is removed. */
#ifndef VK_TESTS_COMMON_MOUNTS_H
#define VK_TESTS_COMMON_MOUNTS_H

/* Calls fn with every mount point, oldest first (mountinfo's \ooo escapes decoded). */
void tc_each_mount(void (*fn)(const char *point, void *ctx), void *ctx);

/* How many mount points are at or below dir; with print, each is printed
 * ("still mounted: PATH"). */
int tc_mounts_under(const char *dir, int print);

/* Lazily detaches every mount at or below dir, deepest (then newest) first, never
 * following a link. Returns how many. */
int tc_detach_under(const char *dir);

#endif
