/* What the launcher tells its caller: the port file read, and the facts printed one
 * KEY='VALUE' a line, so that shell can eval them and C and Python split them. */
#ifndef VK_TESTS_LAUNCHER_FACTS_H
#define VK_TESTS_LAUNCHER_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    const char *data_dir;
    const char *log;
    int http_port, https_port;          /* 0 when off */
    char http_host[64], https_host[64]; /* from the listeners' addresses: "127.0.0.1", "[::1]" */
    const char *ca;                     /* the HTTPS certificate's file; "" without HTTPS */
} launch_facts;

/* Reads vms-sim's port file ({"https": PORT, "http": PORT}); false while it is not there
 * yet (vms-sim writes it atomically, once every listener is up). */
bool facts_read_ports(const char *path, int *http_port, int *https_port);

/* The host part of a listener address "HOST:PORT" or "[V6]:PORT" (brackets kept, as a
 * URL wants them); 127.0.0.1 when addr is NULL. */
void facts_host(const char *addr, char *buf, size_t size);

/* Prints the facts. False (nothing printed) when a value holds a quote or a newline:
 * it could not be one single-quoted shell word. */
bool facts_print(FILE *out, const launch_facts *f, char *err, size_t errlen);

#endif
