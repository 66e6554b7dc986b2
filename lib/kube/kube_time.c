/* kube_time: MicroTime text (kube_time.h). */
#include "kube_time.h"

#include <stdio.h>
#include <time.h>

const char *kube_micro_time_now(char *buf, size_t size) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06ldZ", day, ts.tv_nsec / 1000);
    return buf;
}
