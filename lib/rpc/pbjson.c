#include "vk/pbjson.h"

#include "vk/base64.h"
#include "vk/redact.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ field access */

/* Messages are walked generically: every value lives at a byte offset given by the
 * descriptor, either in the message itself or in the array of a repeated field. */
static const void *cfield(const ProtobufCMessage *msg, unsigned offset) {
    return (const char *)msg + offset;
}

static void *mfield(ProtobufCMessage *msg, unsigned offset) {
    return (char *)msg + offset;
}

static size_t repeated_count(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f) {
    return *(const size_t *)cfield(msg, f->quantifier_offset);
}

/* Size of one value of this type as protobuf-c stores it (repeated array element). */
static size_t value_size(ProtobufCType type) {
    switch (type) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4; /* 32-bit integers, enums, float */
    }
}

/* proto2-style and proto3 `optional` scalars carry a has_ flag at quantifier_offset;
 * strings and messages signal presence by their pointer instead. */
static bool has_presence_flag(const ProtobufCFieldDescriptor *f) {
    return f->label == PROTOBUF_C_LABEL_OPTIONAL && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
           f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE;
}

static bool value_is_zero(ProtobufCType type, const void *slot) {
    static const uint8_t zero[8];
    if (type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)slot;
        return !s || !*s;
    }
    if (type == PROTOBUF_C_TYPE_BYTES) return ((const ProtobufCBinaryData *)slot)->len == 0;
    return memcmp(slot, zero, value_size(type)) == 0;
}

/* Whether the field holds a value that the proto3 JSON mapping prints. */
static bool field_is_set(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f) {
    const void *slot = cfield(msg, f->offset);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)cfield(msg, f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) return repeated_count(msg, f) > 0;
    if (f->label == PROTOBUF_C_LABEL_REQUIRED) return true;
    if (has_presence_flag(f))
        return *(const protobuf_c_boolean *)cfield(msg, f->quantifier_offset);
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)slot != NULL;
    return !value_is_zero(f->type, slot);
}

/* ------------------------------------------------------ special message kinds */

/* protoc-c 1.4.1 drops the map_entry option, so a map field is recognised the way protoc
 * synthesises it: a repeated message named CamelCase(field name) + "Entry" with exactly
 * key = 1 and value = 2. Ordinary messages such as ListVolumesResponse.Entry fail the
 * name or the shape test; anything that passes is wire-identical to a map anyway. */
static bool is_entry_name_of(const char *field_name, const char *entry_name) {
    bool cap_next = true;
    for (const char *p = field_name; *p; p++) {
        if (*p == '_') {
            cap_next = true;
            continue;
        }
        char c = cap_next && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        cap_next = false;
        if (*entry_name++ != c) return false;
    }
    return strcmp(entry_name, "Entry") == 0;
}

static bool is_map_field(const ProtobufCFieldDescriptor *f) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    return d->n_fields == 2 && d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 &&
           d->fields[1].id == 2 && strcmp(d->fields[1].name, "value") == 0 &&
           is_entry_name_of(f->name, d->short_name);
}

/* google.protobuf.XxxValue: a message whose JSON form is its single `value` field. */
static bool is_wrapper(const ProtobufCMessageDescriptor *d) {
    static const char *const names[] = {
        "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",   "google.protobuf.StringValue", "google.protobuf.BytesValue",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(d->name, names[i]) == 0) return d->n_fields == 1;
    }
    return false;
}

/* Fields are located through the descriptor (seconds = 1, nanos = 2) so this file needs
 * none of the generated code. */
static bool is_timestamp(const ProtobufCMessageDescriptor *d) {
    return strcmp(d->name, "google.protobuf.Timestamp") == 0 && d->n_fields == 2;
}

/* ------------------------------------------------------------------ base64 */

/* The proto3 JSON mapping accepts both the standard and the URL-safe alphabet, and
 * padding or none (vk_base64_decode takes all of them). */
static bool base64_decode(const char *text, ProtobufCBinaryData *out) {
    size_t len = 0;
    uint8_t *data = vk_base64_decode(text, &len);
    *out = (ProtobufCBinaryData){len, data};
    return data != NULL;
}

/* ---------------------------------------------------------- message to JSON */

static json_t *message_to_json(const ProtobufCMessage *msg, unsigned flags);

/* json_string refuses invalid UTF-8; a log line must still show the rest of the message,
 * so such bytes are replaced by '?' rather than failing the whole conversion. */
static json_t *text_to_json(const char *s) {
    json_t *j = json_string(s ? s : "");
    if (j || !s) return j;
    char *copy = strdup(s);
    if (!copy) return NULL;
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80) *p = '?';
    }
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *double_to_json(double v) {
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

/* json_integer holds a long long; larger uint64 values go out as a string of digits,
 * which the proto3 JSON mapping (and our parser) accepts for every integer type. */
static json_t *uint64_to_json(uint64_t v) {
    if (v <= INT64_MAX) return json_integer((json_int_t)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_string(buf);
}

static json_t *enum_to_json(const ProtobufCEnumDescriptor *d, int32_t v) {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    return ev ? json_string(ev->name) : json_integer(v);
}

static json_t *bytes_to_json(const ProtobufCBinaryData *b) {
    char *text = vk_base64_encode(b->data, b->len);
    json_t *j = text ? json_string(text) : NULL;
    free(text);
    return j;
}

/* RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as the proto3 JSON mapping prints.
 * Values outside what gmtime can show fall back to the plain {seconds, nanos} object. */
static json_t *timestamp_to_json(const ProtobufCMessage *ts, unsigned flags) {
    const ProtobufCFieldDescriptor *fields = ts->descriptor->fields;
    int64_t seconds = *(const int64_t *)cfield(ts, fields[0].offset);
    int32_t nanos = *(const int32_t *)cfield(ts, fields[1].offset);
    time_t t = (time_t)seconds;
    struct tm tm;
    char buf[64];
    if (nanos < 0 || nanos > 999999999 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1 ||
        tm.tm_year + 1900 > 9999 || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
        return message_to_json(ts, flags);
    int digits = 9;
    for (; nanos && nanos % 1000 == 0 && digits > 3; digits -= 3) nanos /= 1000;
    size_t n = strlen(buf);
    if (nanos) n += (size_t)snprintf(buf + n, sizeof buf - n, ".%0*" PRId32, digits, nanos);
    snprintf(buf + n, sizeof buf - n, "Z");
    return json_string(buf);
}

static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *slot, unsigned flags);

/* A wrapper is printed as its inner value: {"ready": true}, not {"ready": {"value": true}}. */
static json_t *submessage_to_json(const ProtobufCMessage *m, unsigned flags) {
    if (!m) return json_null(); /* only in hand-built messages: a oneof case without a value */
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (is_wrapper(d)) return value_to_json(d->fields, cfield(m, d->fields->offset), flags);
    if (is_timestamp(d)) return timestamp_to_json(m, flags);
    return message_to_json(m, flags);
}

static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *slot, unsigned flags) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)slot);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)slot);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return uint64_to_json(*(const uint64_t *)slot);
    case PROTOBUF_C_TYPE_FLOAT: return double_to_json(*(const float *)slot);
    case PROTOBUF_C_TYPE_DOUBLE: return double_to_json(*(const double *)slot);
    case PROTOBUF_C_TYPE_BOOL: return json_boolean(*(const protobuf_c_boolean *)slot);
    case PROTOBUF_C_TYPE_ENUM: return enum_to_json(f->descriptor, *(const int32_t *)slot);
    case PROTOBUF_C_TYPE_STRING: return text_to_json(*(char *const *)slot);
    case PROTOBUF_C_TYPE_BYTES: return bytes_to_json(slot);
    case PROTOBUF_C_TYPE_MESSAGE:
        return submessage_to_json(*(ProtobufCMessage *const *)slot, flags);
    }
    return NULL;
}

static bool redacts(unsigned flags, const char *name) {
    return (flags & VK_PBJSON_REDACT) && vk_redact_is_sensitive(name);
}

/* Map keys are JSON object keys, so non-string keys are written as their JSON text. */
static bool add_map_entry(json_t *obj, const ProtobufCMessage *entry, unsigned flags) {
    const ProtobufCFieldDescriptor *kf = &entry->descriptor->fields[0];
    const ProtobufCFieldDescriptor *vf = &entry->descriptor->fields[1];
    json_t *key = value_to_json(kf, cfield(entry, kf->offset), flags);
    char *dumped = key && !json_is_string(key) ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
    const char *text = dumped ? dumped : json_string_value(key);
    bool ok = false;
    if (text) {
        json_t *v = redacts(flags, text) ? json_string(VK_REDACTED)
                                          : value_to_json(vf, cfield(entry, vf->offset), flags);
        ok = json_object_set_new_nocheck(obj, text, v) == 0;
    }
    free(dumped);
    json_decref(key);
    return ok;
}

static json_t *repeated_to_json(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                                unsigned flags) {
    bool map = is_map_field(f);
    size_t n = repeated_count(msg, f), size = value_size(f->type);
    const char *base = *(const char *const *)cfield(msg, f->offset);
    json_t *out = map ? json_object() : json_array();
    for (size_t i = 0; out && i < n; i++) {
        const void *slot = base + i * size;
        bool ok = map ? add_map_entry(out, *(ProtobufCMessage *const *)slot, flags)
                      : json_array_append_new(out, value_to_json(f, slot, flags)) == 0;
        if (!ok) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *field_to_json(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                             unsigned flags) {
    if (redacts(flags, f->name)) return json_string(VK_REDACTED);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) return repeated_to_json(msg, f, flags);
    return value_to_json(f, cfield(msg, f->offset), flags);
}

/* EMIT_DEFAULTS prints zero scalars and empty lists/maps; unset messages and unselected
 * oneof members stay absent, since they have no value to print. */
static bool field_is_emitted(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                             unsigned flags) {
    if (field_is_set(msg, f)) return true;
    return (flags & VK_PBJSON_EMIT_DEFAULTS) && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
           (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED);
}

static json_t *message_to_json(const ProtobufCMessage *msg, unsigned flags) {
    json_t *obj = json_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; obj && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (field_is_emitted(msg, f, flags) &&
            json_object_set_new_nocheck(obj, f->name, field_to_json(msg, f, flags)) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *vk_pbjson_from_message(const ProtobufCMessage *msg, unsigned flags) {
    return msg ? message_to_json(msg, flags) : json_object();
}

char *vk_pbjson_dumps(const ProtobufCMessage *msg, unsigned flags) {
    json_t *j = vk_pbjson_from_message(msg, flags);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return text;
}

/* -------------------------------------------------------- JSON to message */

/* Every value is attached to its parent before it is filled in, so on any error the one
 * protobuf_c_message_free_unpacked of the root message releases everything built so far. */
struct parse_ctx {
    char *err;
    size_t err_size;
    char path[512];
    size_t path_len;
};

static size_t path_push(struct parse_ctx *ctx, const char *fmt, ...) {
    size_t mark = ctx->path_len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ctx->path + mark, sizeof ctx->path - mark, fmt, ap);
    va_end(ap);
    if (n > 0) ctx->path_len = mark + (size_t)n;
    if (ctx->path_len >= sizeof ctx->path) ctx->path_len = sizeof ctx->path - 1; /* truncated */
    return mark;
}

static void path_pop(struct parse_ctx *ctx, size_t mark) {
    ctx->path_len = mark;
    ctx->path[mark] = '\0';
}

static bool fail(struct parse_ctx *ctx, const char *fmt, ...) {
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (ctx->err_size > 0)
        snprintf(ctx->err, ctx->err_size, "%s%s%s", ctx->path, ctx->path_len ? ": " : "", reason);
    return false;
}

static const char *json_kind(const json_t *j) {
    static const char *const kinds[] = {
        [JSON_OBJECT] = "object", [JSON_ARRAY] = "array", [JSON_STRING] = "string",
        [JSON_INTEGER] = "integer", [JSON_REAL] = "real", [JSON_TRUE] = "true",
        [JSON_FALSE] = "false", [JSON_NULL] = "null",
    };
    return j ? kinds[json_typeof(j)] : "nothing";
}

static bool wrong_type(struct parse_ctx *ctx, const char *expected, const json_t *j) {
    return fail(ctx, "expected %s, got %s", expected, json_kind(j));
}

/* proto3 JSON allows integers as numbers or as strings ("123"); both are checked as text.
 * Returns NULL, with the error reported, unless it is an optional '-' and decimal digits. */
static const char *integer_text(struct parse_ctx *ctx, const json_t *j, char buf[32]) {
    const char *text = json_is_string(j) ? json_string_value(j) : buf;
    if (json_is_integer(j)) {
        snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
    } else if (!json_is_string(j)) {
        wrong_type(ctx, "an integer", j);
        return NULL;
    }
    const char *digits = text + (*text == '-');
    if (*digits && strspn(digits, "0123456789") == strlen(digits)) return text;
    fail(ctx, "not an integer: \"%s\"", text);
    return NULL;
}

/* width is the size of the stored value: 4 (int32) or 8 (int64). */
static bool signed_from_json(struct parse_ctx *ctx, const json_t *j, size_t width, void *slot) {
    char buf[32];
    const char *text = integer_text(ctx, j, buf);
    if (!text) return false;
    errno = 0;
    long long v = strtoll(text, NULL, 10);
    if (errno == ERANGE || (width == 4 && (v < INT32_MIN || v > INT32_MAX)))
        return fail(ctx, "out of range: %s", text);
    if (width == 4)
        *(int32_t *)slot = (int32_t)v;
    else
        *(int64_t *)slot = v;
    return true;
}

static bool unsigned_from_json(struct parse_ctx *ctx, const json_t *j, size_t width,
                               void *slot) {
    char buf[32];
    const char *text = integer_text(ctx, j, buf);
    if (!text) return false;
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    /* strtoull takes "-1" and negates it, so the sign is rejected by hand */
    if (*text == '-' || errno == ERANGE || (width == 4 && v > UINT32_MAX))
        return fail(ctx, "out of range: %s", text);
    if (width == 4)
        *(uint32_t *)slot = (uint32_t)v;
    else
        *(uint64_t *)slot = v;
    return true;
}

/* Numbers, or strings holding a number including "NaN", "Infinity" and "-Infinity". */
static bool real_from_json(struct parse_ctx *ctx, const json_t *j, size_t width, void *slot) {
    if (!json_is_number(j) && !json_is_string(j)) return wrong_type(ctx, "a number", j);
    const char *text = json_string_value(j);
    char *end = NULL;
    double v = text ? strtod(text, &end) : json_number_value(j);
    if (text && (end == text || *end)) return fail(ctx, "not a number: \"%s\"", text);
    if (width == 4 && isfinite(v) && (v > FLT_MAX || v < -FLT_MAX))
        return fail(ctx, "out of range");
    if (width == 4)
        *(float *)slot = (float)v;
    else
        *(double *)slot = v;
    return true;
}

/* proto3 enums are open: besides the names, any int32 number is accepted and kept. */
static bool enum_from_json(struct parse_ctx *ctx, const ProtobufCEnumDescriptor *d, const json_t *j,
                           int32_t *out) {
    if (json_is_integer(j)) return signed_from_json(ctx, j, sizeof *out, out);
    if (!json_is_string(j)) return wrong_type(ctx, "an enum name or number", j);
    const char *name = json_string_value(j);
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(d, name);
    if (!ev) return fail(ctx, "unknown enum value \"%s\"", name);
    *out = ev->value;
    return true;
}

/* True if text starts with pattern, where '9' in the pattern stands for any digit. */
static bool matches(const char *text, const char *pattern) {
    for (; *pattern; text++, pattern++) {
        if (*pattern == '9' ? *text < '0' || *text > '9' : *text != *pattern) return false;
    }
    return true;
}

/* RFC 3339: 2026-11-21T10:00:00[.fraction](Z|+hh:mm|-hh:mm). The shape is checked before
 * sscanf, whose %d would also take signs and spaces; impossible dates such as February 30
 * are caught by checking that timegm did not have to normalise them. */
static bool parse_rfc3339(const char *p, int64_t *seconds, int32_t *nanos) {
    struct tm tm = {0};
    int year, mon, mday, oh = 0, om = 0, sign = 0;
    if (!matches(p, "9999-99-99T99:99:99")) return false;
    sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &mon, &mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    p += strlen("9999-99-99T99:99:99");
    *nanos = 0;
    if (*p == '.') {
        size_t n = strspn(++p, "0123456789");
        if (n == 0 || n > 9) return false; /* finer than a nanosecond */
        for (size_t i = 0; i < 9; i++) *nanos = *nanos * 10 + (i < n ? p[i] - '0' : 0);
        p += n;
    }
    if (matches(p, "+99:99") || matches(p, "-99:99")) {
        sign = *p == '+' ? 1 : -1;
        sscanf(p + 1, "%2d:%2d", &oh, &om);
        p += strlen("+99:99");
    } else if (*p++ != 'Z') {
        return false;
    }
    if (*p || year < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 || oh > 23 || om > 59)
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    *seconds = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
    return tm.tm_mon == mon - 1 && tm.tm_mday == mday;
}

static bool timestamp_from_json(struct parse_ctx *ctx, const json_t *j, ProtobufCMessage *ts) {
    const ProtobufCFieldDescriptor *fields = ts->descriptor->fields;
    if (!json_is_string(j)) return wrong_type(ctx, "an RFC 3339 timestamp string", j);
    const char *text = json_string_value(j);
    if (!parse_rfc3339(text, mfield(ts, fields[0].offset), mfield(ts, fields[1].offset)))
        return fail(ctx, "invalid RFC 3339 timestamp \"%s\"", text);
    return true;
}

static bool message_from_json(struct parse_ctx *ctx, const json_t *j, ProtobufCMessage *msg);
static bool value_from_json(struct parse_ctx *ctx, const ProtobufCFieldDescriptor *f,
                            const json_t *j, void *slot);

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d) {
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m) protobuf_c_message_init(d, m);
    return m;
}

static bool submessage_from_json(struct parse_ctx *ctx, const ProtobufCMessageDescriptor *d,
                                 const json_t *j, ProtobufCMessage **slot) {
    ProtobufCMessage *m = *slot = new_message(d);
    if (!m) return fail(ctx, "out of memory");
    if (is_wrapper(d)) return value_from_json(ctx, d->fields, j, mfield(m, d->fields->offset));
    if (is_timestamp(d)) return timestamp_from_json(ctx, j, m);
    return message_from_json(ctx, j, m);
}

static bool value_from_json(struct parse_ctx *ctx, const ProtobufCFieldDescriptor *f,
                            const json_t *j, void *slot) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return signed_from_json(ctx, j, value_size(f->type), slot);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return unsigned_from_json(ctx, j, value_size(f->type), slot);
    case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_DOUBLE:
        return real_from_json(ctx, j, value_size(f->type), slot);
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(j)) return wrong_type(ctx, "true or false", j);
        *(protobuf_c_boolean *)slot = json_is_true(j);
        return true;
    case PROTOBUF_C_TYPE_ENUM:
        return enum_from_json(ctx, f->descriptor, j, slot);
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(j)) return wrong_type(ctx, "a string", j);
        *(char **)slot = strdup(json_string_value(j));
        return *(char **)slot || fail(ctx, "out of memory");
    case PROTOBUF_C_TYPE_BYTES:
        if (!json_is_string(j)) return wrong_type(ctx, "a base64 string", j);
        return base64_decode(json_string_value(j), slot) || fail(ctx, "invalid base64");
    case PROTOBUF_C_TYPE_MESSAGE:
        return submessage_from_json(ctx, f->descriptor, j, slot);
    }
    return fail(ctx, "unsupported field type");
}

/* Allocates the zeroed array of a repeated field and stores it with its full count up front:
 * free_unpacked skips NULL strings, bytes and messages, so unfilled slots are harmless. */
static void *new_repeated(struct parse_ctx *ctx, ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f, size_t n) {
    void *arr = n ? calloc(n, value_size(f->type)) : NULL;
    if (n && !arr) {
        fail(ctx, "out of memory");
        return NULL;
    }
    *(void **)mfield(msg, f->offset) = arr;
    *(size_t *)mfield(msg, f->quantifier_offset) = n;
    return arr;
}

static bool array_from_json(struct parse_ctx *ctx, ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *f, const json_t *j) {
    if (!json_is_array(j)) return wrong_type(ctx, "an array", j);
    size_t n = json_array_size(j), size = value_size(f->type);
    char *arr = new_repeated(ctx, msg, f, n);
    if (n && !arr) return false;
    for (size_t i = 0; i < n; i++) {
        size_t mark = path_push(ctx, "[%zu]", i);
        if (!value_from_json(ctx, f, json_array_get(j, i), arr + i * size)) return false;
        path_pop(ctx, mark);
    }
    return true;
}

/* Map keys arrive as JSON object keys; non-string keys are parsed from their JSON text. */
static bool map_entry_from_json(struct parse_ctx *ctx, ProtobufCMessage *entry, const char *key,
                                const json_t *value) {
    const ProtobufCFieldDescriptor *kf = &entry->descriptor->fields[0];
    const ProtobufCFieldDescriptor *vf = &entry->descriptor->fields[1];
    json_t *k = kf->type == PROTOBUF_C_TYPE_STRING ? json_string(key)
                                                   : json_loads(key, JSON_DECODE_ANY, NULL);
    bool ok = k ? value_from_json(ctx, kf, k, mfield(entry, kf->offset))
                : fail(ctx, "invalid map key");
    json_decref(k);
    return ok && value_from_json(ctx, vf, value, mfield(entry, vf->offset));
}

static bool map_from_json(struct parse_ctx *ctx, ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f, const json_t *j) {
    if (!json_is_object(j)) return wrong_type(ctx, "an object", j);
    ProtobufCMessage **entries = new_repeated(ctx, msg, f, json_object_size(j));
    if (json_object_size(j) && !entries) return false;
    const char *key;
    json_t *value;
    size_t i = 0;
    /* jansson's iteration API takes a non-const object; it does not modify it. */
    json_object_foreach((json_t *)j, key, value) {
        size_t mark = path_push(ctx, "[\"%s\"]", key);
        entries[i] = new_message(f->descriptor);
        if (!entries[i]) return fail(ctx, "out of memory");
        if (!map_entry_from_json(ctx, entries[i++], key, value)) return false;
        path_pop(ctx, mark);
    }
    return true;
}

static bool field_from_json(struct parse_ctx *ctx, ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *f, const json_t *j) {
    if (json_is_null(j)) return true; /* null means unset in proto3 JSON */
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return is_map_field(f) ? map_from_json(ctx, msg, f, j) : array_from_json(ctx, msg, f, j);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        /* Members share one union: a second member would overwrite (and leak) the first. */
        uint32_t *which = mfield(msg, f->quantifier_offset);
        if (*which != 0) return fail(ctx, "another member of the same oneof is already set");
        *which = f->id;
    } else if (has_presence_flag(f)) {
        *(protobuf_c_boolean *)mfield(msg, f->quantifier_offset) = 1;
    }
    return value_from_json(ctx, f, j, mfield(msg, f->offset));
}

static bool message_from_json(struct parse_ctx *ctx, const json_t *j, ProtobufCMessage *msg) {
    if (!json_is_object(j)) return wrong_type(ctx, "an object", j);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value) {
        size_t mark = path_push(ctx, "%s%s", ctx->path_len ? "." : "", key);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, key);
        if (!f) return fail(ctx, "unknown field");
        if (!field_from_json(ctx, msg, f, value)) return false;
        path_pop(ctx, mark);
    }
    return true;
}

ProtobufCMessage *vk_pbjson_to_message(const ProtobufCMessageDescriptor *desc, const json_t *json,
                                       char *err, size_t err_size) {
    struct parse_ctx ctx = {.err = err, .err_size = err_size};
    if (err_size > 0) err[0] = '\0';
    ProtobufCMessage *msg = new_message(desc);
    if (!msg) {
        fail(&ctx, "out of memory");
        return NULL;
    }
    if (!message_from_json(&ctx, json, msg)) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return NULL;
    }
    return msg;
}
