/* http_loop: waiting on several connections at once.
 *
 * Each slot's multi handle tells us, through curl's multi_socket callbacks, which
 * sockets to watch and when it wants a timeout call; one poll() covers every slot a
 * caller drives, so one thread runs a batch of transfers. poll(), not curl_multi_fdset:
 * select() cannot watch a descriptor above FD_SETSIZE, and a busy driver has many. */
#include "http_internal.h"
#include "vk/deadline.h"

#include <limits.h>
#include <poll.h>
#include <stdlib.h>

/* The longest poll without a look at the clock: a timer curl forgot to set costs a
 * second, not a hang. */
#define MAX_WAIT_MS 1000
#define LOCAL_FDS 8

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)easy;
    (void)socketp;
    http_slot *s = userp;
    int i = 0;
    while (i < s->socket_count && s->sockets[i].fd != fd) i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < s->socket_count) s->sockets[i] = s->sockets[--s->socket_count];
        return 0;
    }
    if (i == s->socket_count) {
        if (s->socket_count == s->socket_cap) {
            int cap = s->socket_cap ? s->socket_cap * 2 : 2;
            http_socket *grown = realloc(s->sockets, (size_t)cap * sizeof *grown);
            if (!grown) abort();
            s->sockets = grown;
            s->socket_cap = cap;
        }
        s->socket_count++;
    }
    s->sockets[i] = (http_socket){.fd = fd, .what = what};
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    http_slot *s = userp;
    s->timer_at = timeout_ms < 0 ? VK_DEADLINE_NONE : vk_now_ms() + timeout_ms;
    return 0;
}

void http_loop_watch(http_slot *s) {
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
}

static int poll_timeout(http_slot *const *slots, size_t count, int64_t until) {
    int64_t wake = until;
    for (size_t i = 0; i < count; i++) wake = vk_deadline_min(wake, slots[i]->timer_at);
    int64_t left = vk_deadline_remaining(wake);
    return (int)(left < MAX_WAIT_MS ? left : MAX_WAIT_MS);
}

static int curl_events(short revents) {
    int ev = 0;
    if (revents & (POLLIN | POLLHUP)) ev |= CURL_CSELECT_IN; /* a hang-up reads as end of stream */
    if (revents & POLLOUT) ev |= CURL_CSELECT_OUT;
    if (revents & (POLLERR | POLLNVAL)) ev |= CURL_CSELECT_ERR;
    return ev;
}

void http_loop_step(http_slot *const *slots, size_t count, int64_t until) {
    size_t n = 0;
    for (size_t i = 0; i < count; i++) n += (size_t)slots[i]->socket_count;
    struct pollfd local_fds[LOCAL_FDS];
    size_t local_owner[LOCAL_FDS];
    struct pollfd *fds = n <= LOCAL_FDS ? local_fds : malloc(n * sizeof *fds);
    size_t *owner = n <= LOCAL_FDS ? local_owner : malloc(n * sizeof *owner);
    if (!fds || !owner) abort();
    n = 0;
    for (size_t i = 0; i < count; i++) {
        for (int k = 0; k < slots[i]->socket_count; k++) {
            int what = slots[i]->sockets[k].what;
            short events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
            fds[n] = (struct pollfd){.fd = slots[i]->sockets[k].fd, .events = events};
            owner[n++] = i;
        }
    }
    int ready = poll(fds, (nfds_t)n, poll_timeout(slots, count, until));
    int running;
    /* Acting on one socket may close or add others: fds is a snapshot, and curl
     * ignores a socket it no longer knows. */
    for (size_t k = 0; ready > 0 && k < n; k++) {
        if (!fds[k].revents) continue;
        ready--;
        curl_multi_socket_action(slots[owner[k]]->multi, fds[k].fd, curl_events(fds[k].revents), &running);
    }
    int64_t now = vk_now_ms();
    for (size_t i = 0; i < count; i++) {
        if (slots[i]->timer_at == VK_DEADLINE_NONE || slots[i]->timer_at > now) continue;
        slots[i]->timer_at = VK_DEADLINE_NONE; /* the call may set a new one */
        curl_multi_socket_action(slots[i]->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    if (fds != local_fds) free(fds);
    if (owner != local_owner) free(owner);
}

bool http_loop_finished(http_slot *s, CURLcode *code) {
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (m->msg == CURLMSG_DONE) {
            *code = m->data.result;
            return true;
        }
    }
    return false;
}
