#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t err_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* protoc-c marks map entries only by shape: a nested "...Entry" message with key=1, value=2. */
static bool is_map_entry(const ProtobufCMessageDescriptor *d) {
    size_t n = strlen(d->name);
    return d->n_fields == 2 && n > 5 && strcmp(d->name + n - 5, "Entry") == 0 &&
           strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

/* A scalar value typed for pbjson: numbers and booleans become JSON numbers and
 * booleans, enums and strings stay strings, message values are parsed as JSON. */
static json_t *typed_value(const ProtobufCFieldDescriptor *f, const char *text, const char *path,
                           char *err, size_t err_size) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if (strcmp(text, "true") == 0) return json_true();
        if (strcmp(text, "false") == 0) return json_false();
        fail(err, err_size, "%s: expected true or false, got \"%s\"", path, text);
        return NULL;
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (end == text || *end || errno) {
            fail(err, err_size, "%s: expected an integer, got \"%s\"", path, text);
            return NULL;
        }
        return json_integer(v);
    }
    case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE: {
        char *end;
        double v = strtod(text, &end);
        if (end == text || *end) {
            fail(err, err_size, "%s: expected a number, got \"%s\"", path, text);
            return NULL;
        }
        return json_real(v);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        json_error_t jerr;
        json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
        if (!v) fail(err, err_size, "%s: a message field takes JSON text: %s", path, jerr.text);
        return v;
    }
    case PROTOBUF_C_TYPE_ENUM: case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_BYTES:
        return json_string(text);
    }
    fail(err, err_size, "%s: unsupported field type", path);
    return NULL;
}

/* Splits "name[3]" into name and index (-1 when absent). */
static int split_index(char *segment, long *index, const char *path, char *err, size_t err_size) {
    *index = -1;
    char *open = strchr(segment, '[');
    if (!open) return 0;
    char *end;
    errno = 0;
    long v = strtol(open + 1, &end, 10);
    if (end == open + 1 || *end != ']' || end[1] || errno || v < 0 || v > 100000) {
        return fail(err, err_size, "%s: bad index in \"%s\"", path, segment);
    }
    *open = '\0';
    *index = v;
    return 0;
}

/* The element at index of array (created when index == size); NULL if index > size. */
static json_t *array_slot(json_t *array, long index, bool want_object) {
    size_t size = json_array_size(array);
    if ((size_t)index < size) return json_array_get(array, (size_t)index);
    if ((size_t)index != size || !want_object) return NULL;
    json_t *fresh = json_object();
    json_array_append_new(array, fresh);
    return fresh;
}

static json_t *child(json_t *obj, const char *name, json_t *(*make)(void)) {
    json_t *existing = json_object_get(obj, name);
    if (existing) return existing;
    json_t *fresh = make();
    json_object_set_new(obj, name, fresh);
    return fresh;
}

/* "@file" stands for the file's contents (a PEM certificate for secrets.ssl_cert). */
static char *value_of(const char *text, char *err, size_t err_size) {
    if (text[0] != '@') return strdup(text);
    FILE *f = fopen(text + 1, "r");
    if (!f) {
        fail(err, err_size, "cannot read %s: %s", text + 1, strerror(errno));
        return NULL;
    }
    char *data = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&data, &size);
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) fwrite(buf, 1, n, mem);
    fclose(f);
    fclose(mem);
    return data;
}

/* The last component of a path: the value goes into field f of obj (into the map, for
 * a map field whose key is key). */
static int assign_leaf(json_t *obj, const ProtobufCFieldDescriptor *f, const char *key, long index, const char *value,
                       const char *path, char *err, size_t err_size) {
    bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    if (key) {
        const ProtobufCMessageDescriptor *entry = f->descriptor;
        json_t *v = typed_value(&entry->fields[1], value, path, err, err_size);
        if (!v) return -1;
        json_object_set_new(child(obj, f->name, json_object), key, v);
        return 0;
    }
    json_t *v = typed_value(f, value, path, err, err_size);
    if (!v) return -1;
    if (!repeated) {
        json_object_set_new(obj, f->name, v);
        return 0;
    }
    json_t *array = child(obj, f->name, json_array);
    if (index >= 0 && (size_t)index < json_array_size(array)) {
        json_array_set_new(array, (size_t)index, v);
    } else {
        json_array_append_new(array, v);
    }
    return 0;
}

/* A message component the path goes through: the object it names inside obj (the
 * index-th element of a list), or NULL with err set. */
static json_t *descend(json_t *obj, const ProtobufCFieldDescriptor *f, const char *name, long index,
                       const char *path, char *err, size_t err_size) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        json_t *sub = child(obj, f->name, json_object);
        if (json_is_object(sub)) return sub;
        fail(err, err_size, "%s: \"%s\" was already set to a plain value", path, name);
        return NULL;
    }
    if (index < 0) {
        fail(err, err_size, "%s: \"%s\" is a list; write %s[N].", path, name, name);
        return NULL;
    }
    json_t *slot = array_slot(child(obj, f->name, json_array), index, true);
    if (slot && json_is_object(slot)) return slot;
    fail(err, err_size, "%s: index %ld skips ahead; fill %s[0..] in order", path, index, name);
    return NULL;
}

int csictl_assign(json_t *obj, const ProtobufCMessageDescriptor *desc, const char *assignment,
                  char *err, size_t err_size) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) return fail(err, err_size, "\"%s\": expected field=value", assignment);
    char *value_copy = value_of(eq + 1, err, err_size);
    if (!value_copy) return -1;
    char *path = strndup(assignment, (size_t)(eq - assignment));
    int rc = -1;
    for (char *rest = path; obj;) {
        char *dot = strchr(rest, '.');
        if (dot) *dot = '\0';
        long index;
        if (split_index(rest, &index, path, err, err_size) != 0) break;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, rest);
        if (!f) {
            fail(err, err_size, "%s: %s has no field \"%s\"", path, desc->name, rest);
            break;
        }
        const ProtobufCMessageDescriptor *sub = f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
        if (f->label == PROTOBUF_C_LABEL_REPEATED && sub && is_map_entry(sub)) {
            /* a map: the rest of the path, dots and all, is the key */
            if (!dot) {
                fail(err, err_size, "%s: a map field needs a key: %s.KEY=VALUE", path, rest);
                break;
            }
            rc = assign_leaf(obj, f, dot + 1, index, value_copy, path, err, err_size);
            break;
        }
        if (!dot) {
            rc = assign_leaf(obj, f, NULL, index, value_copy, path, err, err_size);
            break;
        }
        if (!sub) {
            fail(err, err_size, "%s: field \"%s\" is not a message; nothing can follow it", path, rest);
            break;
        }
        obj = descend(obj, f, rest, index, path, err, err_size);
        desc = sub;
        rest = dot + 1;
    }
    free(path);
    free(value_copy);
    return rc;
}
