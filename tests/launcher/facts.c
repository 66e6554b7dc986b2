/* The port file and the printed facts (see facts.h). */
#include "facts.h"

#include <jansson.h>
#include <string.h>

bool facts_read_ports(const char *path, int *http_port, int *https_port) {
    json_t *ports = json_load_file(path, 0, NULL);
    if (!ports) return false;
    *http_port = (int)json_integer_value(json_object_get(ports, "http"));
    *https_port = (int)json_integer_value(json_object_get(ports, "https"));
    json_decref(ports);
    return *http_port > 0 || *https_port > 0;
}

void facts_host(const char *addr, char *buf, size_t size) {
    if (!addr) addr = "127.0.0.1:0";
    const char *colon = addr[0] == '[' ? strchr(addr, ']') : strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) + (addr[0] == '[') : strlen(addr);
    snprintf(buf, size, "%.*s", (int)len, addr);
}

static bool one_word(const char *value) { return !strpbrk(value, "'\n"); }

bool facts_print(FILE *out, const launch_facts *f, char *err, size_t errlen) {
    char http[96] = "", https[96] = "";
    if (f->http_port) snprintf(http, sizeof http, "http://%s:%d", f->http_host, f->http_port);
    if (f->https_port) snprintf(https, sizeof https, "https://%s:%d", f->https_host, f->https_port);
    const char *ca = f->https_port ? f->ca : "";
    const char *const texts[][2] = {
        {"VMS_SIM_DIR", f->data_dir}, {"VMS_SIM_LOG", f->log}, {"VMS_SIM_HTTP", http},
        {"VMS_SIM_HTTPS", https},     {"VMS_SIM_CA", ca},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (!one_word(texts[i][1])) {
            snprintf(err, errlen, "%s holds a quote or a newline: %s", texts[i][0], texts[i][1]);
            return false;
        }
    }
    fprintf(out, "VMS_SIM_PID='%ld'\n", (long)f->pid);
    fprintf(out, "VMS_SIM_HTTP_PORT='%d'\nVMS_SIM_HTTPS_PORT='%d'\n", f->http_port, f->https_port);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) fprintf(out, "%s='%s'\n", texts[i][0], texts[i][1]);
    return true;
}
