/* http_escape: text for a URL's query or path segment, percent-encoded by curl. */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

char *vk_http_escape(const char *text) {
    /* curl ignores the handle argument since 7.82; the escaping is RFC 3986 unreserved.
     * Copied out so callers free it with free(), not curl_free(). */
    char *escaped = curl_easy_escape(NULL, text, 0);
    if (!escaped) abort();
    char *copy = strdup(escaped);
    curl_free(escaped);
    if (!copy) abort();
    return copy;
}
