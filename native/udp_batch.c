// Batched UDP socket for steerdns (Linux): recvmmsg drains a burst of datagrams into preallocated
// slots, JavaScript answers the whole batch in one call, sendmmsg sends every reply at once.
//
// The socket is watched with uv_poll on Node's own event loop: no thread, no locking. Memory is
// shared with JavaScript through ArrayBuffers this file allocates once per socket:
//   in      slots datagrams received, SLOT_STRIDE bytes apart (SLOT_SIZE usable each)
//   meta    per slot, 8 int32: length, family (4 or 6), flags (1 = truncated), port, then the
//           peer address in 16 bytes (IPv4 in the first 4)
//   out     slots replies, SLOT_STRIDE bytes apart; reply i goes to the sender of datagram i
//   outLen  per slot, int32: reply length, 0 = no reply (cleared before every batch)
//   stats   float64 counters read at scrape time (see enum Stat)
// Replies that would block (EAGAIN) stay in the send list and go out when the socket becomes
// writable; reading pauses meanwhile, so nothing is dropped here and at most one batch waits.
// A reply the kernel refuses for another reason (an unroutable peer) is counted in `dropped`.
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define SLOT_SIZE 65536
// Not a power of two: slots 64 KiB apart would all land on the same cache sets.
#define SLOT_STRIDE (SLOT_SIZE + 320)
#define META_INTS 8
#define MAX_BATCH 1024
// Batches drained per readiness event. One, like libuv's own UDP reads (32 datagrams per event):
// the poll is level-triggered, so a fuller socket calls again on the next loop turn, and timers,
// TCP and other sockets of the process (an in-process client, in tests) get their turn between.
#define MAX_ROUNDS 1

enum Stat {
  STAT_BATCHES,   // recvmmsg calls that returned datagrams (one JS call each)
  STAT_RECEIVED,  // datagrams received
  STAT_SENT,      // replies the kernel accepted
  STAT_DEFERRED,  // replies that met EAGAIN and waited for writability
  STAT_PENDING,   // replies waiting right now
  STAT_DROPPED,   // replies the kernel refused (not EAGAIN)
  STAT_RECV_ERRORS,
  STAT_SEND_CALLS,
  STAT_RECV_CALLS,
  STAT_COUNT
};

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int batch;
  int closing;
  unsigned char *in;
  int32_t *meta;
  unsigned char *out;
  int32_t *out_len;
  double *stats;
  struct mmsghdr *recv_msgs;
  struct iovec *recv_iov;
  struct sockaddr_storage *peers;
  struct mmsghdr *send_msgs;
  struct iovec *send_iov;
  int send_count;  // messages in send_msgs
  int send_done;   // of which sent (or dropped); the rest waits for writability
  napi_ref on_batch;
  napi_ref buffers[5];
  napi_async_context async;
  napi_ref self;
} Socket;

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value code, msg, error;
  napi_create_string_utf8(env, uv_err_name(uv_translate_sys_error(err)), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_value syscall;
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, error, "syscall", syscall);
  napi_throw(env, error);
  return NULL;
}

static void start_reading(Socket *s);

// Sends what is left in the send list. Returns 1 when it is empty, 0 when the socket is full.
static int flush(Socket *s) {
  while (s->send_done < s->send_count) {
    s->stats[STAT_SEND_CALLS]++;
    int n = sendmmsg(s->fd, s->send_msgs + s->send_done, (unsigned)(s->send_count - s->send_done), 0);
    if (n > 0) {
      s->send_done += n;
      s->stats[STAT_SENT] += n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    // The first message was refused (sendmmsg reports the error of the first one): skip it.
    s->send_done++;
    s->stats[STAT_DROPPED]++;
  }
  s->send_count = 0;
  s->send_done = 0;
  return 1;
}

static void call_js(Socket *s, int n) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, argv[1], result;
  napi_get_reference_value(env, s->on_batch, &fn);
  napi_get_reference_value(env, s->self, &recv);
  napi_create_int32(env, n, &argv[0]);
  // make_callback: nextTicks and promise jobs run after the batch, as after a dgram 'message'.
  napi_status status = napi_make_callback(env, s->async, recv, fn, 1, argv, &result);
  if (status == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

// One batch: receive, answer in JS, queue the replies. Returns datagrams received (0: drained).
static int one_batch(Socket *s) {
  for (int i = 0; i < s->batch; i++) {
    s->recv_msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    s->recv_msgs[i].msg_hdr.msg_flags = 0;
  }
  s->stats[STAT_RECV_CALLS]++;
  int n = recvmmsg(s->fd, s->recv_msgs, (unsigned)s->batch, MSG_DONTWAIT, NULL);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) s->stats[STAT_RECV_ERRORS]++;
    return n < 0 && errno == EINTR ? -1 : 0;
  }
  s->stats[STAT_BATCHES]++;
  s->stats[STAT_RECEIVED] += n;
  for (int i = 0; i < n; i++) {
    int32_t *m = s->meta + i * META_INTS;
    struct msghdr *h = &s->recv_msgs[i].msg_hdr;
    m[0] = (int32_t)s->recv_msgs[i].msg_len;
    m[2] = (h->msg_flags & MSG_TRUNC) ? 1 : 0;
    unsigned char *addr = (unsigned char *)(m + 4);
    const struct sockaddr_storage *peer = &s->peers[i];
    if (peer->ss_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)peer;
      m[1] = 6;
      m[3] = ntohs(a->sin6_port);
      memcpy(addr, &a->sin6_addr, 16);
    } else {
      const struct sockaddr_in *a = (const struct sockaddr_in *)peer;
      m[1] = 4;
      m[3] = ntohs(a->sin_port);
      memcpy(addr, &a->sin_addr, 4);
    }
    s->out_len[i] = 0;
  }
  call_js(s, n);
  if (s->closing) return 0;
  int k = 0;
  for (int i = 0; i < n; i++) {
    int32_t len = s->out_len[i];
    if (len <= 0 || len > SLOT_SIZE) continue;
    s->send_iov[k].iov_base = s->out + (size_t)i * SLOT_STRIDE;
    s->send_iov[k].iov_len = (size_t)len;
    struct msghdr *h = &s->send_msgs[k].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &s->peers[i];
    h->msg_namelen = s->recv_msgs[i].msg_hdr.msg_namelen;
    h->msg_iov = &s->send_iov[k];
    h->msg_iovlen = 1;
    k++;
  }
  s->send_count = k;
  s->send_done = 0;
  return n;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Socket *s = (Socket *)handle->data;
  if (s->closing) return;
  if (status < 0) {
    s->stats[STAT_RECV_ERRORS]++;
    return;
  }
  if (events & UV_WRITABLE) {
    if (!flush(s)) return;
    s->stats[STAT_PENDING] = 0;
    start_reading(s);
    return;
  }
  for (int round = 0; round < MAX_ROUNDS && !s->closing; round++) {
    int n = one_batch(s);
    if (n < 0) continue;  // EINTR
    if (n == 0) return;
    if (!flush(s)) {
      // Hold the rest (they point into `out`, which no batch overwrites until they are gone).
      int waiting = s->send_count - s->send_done;
      s->stats[STAT_DEFERRED] += waiting;
      s->stats[STAT_PENDING] = waiting;
      uv_poll_start(&s->poll, UV_WRITABLE, on_poll);
      return;
    }
    if (n < s->batch) return;  // the queue is very likely empty: save the recvmmsg that says so
  }
}

static void start_reading(Socket *s) { uv_poll_start(&s->poll, UV_READABLE, on_poll); }

static void on_closed(uv_handle_t *handle) {
  Socket *s = (Socket *)handle->data;
  napi_env env = s->env;
  napi_delete_reference(env, s->on_batch);
  for (int i = 0; i < 5; i++) napi_delete_reference(env, s->buffers[i]);
  napi_async_destroy(env, s->async);
  free(s->recv_msgs);
  free(s->recv_iov);
  free(s->peers);
  free(s->send_msgs);
  free(s->send_iov);
  free(s);
}

static napi_value arraybuffer(napi_env env, size_t size, void **data, napi_ref *ref) {
  napi_value value;
  // Zero-filled by V8; pages become resident only as datagrams are written into them.
  if (napi_create_arraybuffer(env, size, data, &value) != napi_ok) return NULL;
  napi_create_reference(env, value, 1, ref);
  return value;
}

static int get_int(napi_env env, napi_value obj, const char *key, int fallback) {
  napi_value v;
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return fallback;
  napi_get_named_property(env, obj, key, &v);
  int32_t out = fallback;
  if (napi_get_value_int32(env, v, &out) != napi_ok) return fallback;
  return out;
}

static int get_bool(napi_env env, napi_value obj, const char *key) {
  napi_value v;
  bool has = false, out = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return 0;
  napi_get_named_property(env, obj, key, &v);
  if (napi_get_value_bool(env, v, &out) != napi_ok) return 0;
  return out ? 1 : 0;
}

static void set_int(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

static void close_handle(napi_env env, Socket *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  close(s->fd);
  napi_delete_reference(env, s->self);
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

// close(): stops polling and closes the socket; replies still waiting for writability are lost
// with it (as with a closed dgram socket). The memory goes once libuv has released the handle.
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data;
  napi_get_cb_info(env, info, NULL, NULL, &self, &data);
  Socket *s = NULL;
  napi_value external;
  if (napi_get_named_property(env, self, "handle", &external) != napi_ok ||
      napi_get_value_external(env, external, (void **)&s) != napi_ok || s == NULL) {
    napi_throw_error(env, NULL, "not a batched UDP socket");
    return NULL;
  }
  close_handle(env, s);
  return NULL;
}

// open({ host, port, family, reusePort, batch, recvBufferSize, sendBufferSize }, onBatch)
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t0, t1;
  if (argc < 2 || napi_typeof(env, argv[0], &t0) != napi_ok || t0 != napi_object || napi_typeof(env, argv[1], &t1) != napi_ok ||
      t1 != napi_function) {
    napi_throw_type_error(env, NULL, "open(options, onBatch)");
    return NULL;
  }
  napi_value opts = argv[0];
  char host[INET6_ADDRSTRLEN + 64];
  napi_value hv;
  size_t hlen = 0;
  napi_get_named_property(env, opts, "host", &hv);
  if (napi_get_value_string_utf8(env, hv, host, sizeof host, &hlen) != napi_ok) {
    napi_throw_type_error(env, NULL, "options.host must be a string");
    return NULL;
  }
  int family = get_int(env, opts, "family", 4);
  int port = get_int(env, opts, "port", 0);
  int reuse_port = get_bool(env, opts, "reusePort");
  int batch = get_int(env, opts, "batch", 32);
  int rcvbuf = get_int(env, opts, "recvBufferSize", 0);
  int sndbuf = get_int(env, opts, "sendBufferSize", 0);
  if (batch < 1) batch = 1;
  if (batch > MAX_BATCH) batch = MAX_BATCH;
  if (port < 0 || port > 65535) {
    napi_throw_range_error(env, NULL, "options.port out of range");
    return NULL;
  }

  // Numeric addresses only (a zone id such as fe80::1%eth0 included): no resolver on this path.
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family == 6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  int gai = getaddrinfo(host, service, &hints, &res);
  if (gai != 0 || res == NULL) {
    napi_throw_error(env, "EINVAL", "not a numeric address for this family");
    return NULL;
  }
  int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return throw_errno(env, errno, "socket");
  }
  int one = 1;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    freeaddrinfo(res);
    close(fd);
    return throw_errno(env, err, "setsockopt SO_REUSEPORT");
  }
  // Path MTU discovery off for replies (the interface MTU, no DF bit, ICMP "fragmentation needed"
  // ignored): a spoofed ICMP cannot shrink the path MTU to get replies fragmented, the lever of
  // fragment-based cache poisoning; Knot and gdnsd do the same. It also skips the route's PMTU
  // lookup on every send. Best effort: older kernels lack OMIT.
  int omit = family == 6 ? IPV6_PMTUDISC_OMIT : IP_PMTUDISC_OMIT;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &omit, sizeof omit);
  else setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof omit);
  // Best effort, like dgram's recvBufferSize: the kernel caps them at net.core.*mem_max.
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    int err = errno;
    freeaddrinfo(res);
    close(fd);
    return throw_errno(env, err, "bind");
  }
  freeaddrinfo(res);
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  // Read back, so a test (and a reader of the socket) sees what the kernel took.
  int pmtu = -1;
  socklen_t plen = sizeof pmtu;
  if (family == 6) getsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, &plen);
  else getsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, &plen);
  int bound_port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                               : ntohs(((struct sockaddr_in *)&bound)->sin_port);

  Socket *s = calloc(1, sizeof *s);
  s->env = env;
  s->fd = fd;
  s->batch = batch;
  s->recv_msgs = calloc((size_t)batch, sizeof *s->recv_msgs);
  s->recv_iov = calloc((size_t)batch, sizeof *s->recv_iov);
  s->peers = calloc((size_t)batch, sizeof *s->peers);
  s->send_msgs = calloc((size_t)batch, sizeof *s->send_msgs);
  s->send_iov = calloc((size_t)batch, sizeof *s->send_iov);

  napi_value result, in, meta, out, out_len, stats;
  napi_create_object(env, &result);
  in = arraybuffer(env, (size_t)batch * SLOT_STRIDE, (void **)&s->in, &s->buffers[0]);
  meta = arraybuffer(env, (size_t)batch * META_INTS * sizeof(int32_t), (void **)&s->meta, &s->buffers[1]);
  out = arraybuffer(env, (size_t)batch * SLOT_STRIDE, (void **)&s->out, &s->buffers[2]);
  out_len = arraybuffer(env, (size_t)batch * sizeof(int32_t), (void **)&s->out_len, &s->buffers[3]);
  stats = arraybuffer(env, STAT_COUNT * sizeof(double), (void **)&s->stats, &s->buffers[4]);
  if (!in || !meta || !out || !out_len || !stats || !s->recv_msgs || !s->recv_iov || !s->peers || !s->send_msgs || !s->send_iov) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "cannot allocate the batch buffers");
    return NULL;
  }
  for (int i = 0; i < batch; i++) {
    s->recv_iov[i].iov_base = s->in + (size_t)i * SLOT_STRIDE;
    s->recv_iov[i].iov_len = SLOT_SIZE;
    struct msghdr *h = &s->recv_msgs[i].msg_hdr;
    h->msg_name = &s->peers[i];
    h->msg_namelen = sizeof(struct sockaddr_storage);
    h->msg_iov = &s->recv_iov[i];
    h->msg_iovlen = 1;
  }

  napi_value handle, name, close_fn;
  napi_create_external(env, s, NULL, NULL, &handle);
  napi_set_named_property(env, result, "handle", handle);
  napi_set_named_property(env, result, "in", in);
  napi_set_named_property(env, result, "meta", meta);
  napi_set_named_property(env, result, "out", out);
  napi_set_named_property(env, result, "outLen", out_len);
  napi_set_named_property(env, result, "stats", stats);
  set_int(env, result, "port", bound_port);
  set_int(env, result, "batch", batch);
  set_int(env, result, "slotSize", SLOT_SIZE);
  set_int(env, result, "slotStride", SLOT_STRIDE);
  set_int(env, result, "metaInts", META_INTS);
  set_int(env, result, "pmtuDiscover", pmtu);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &close_fn);
  napi_set_named_property(env, result, "close", close_fn);
  napi_create_reference(env, argv[1], 1, &s->on_batch);
  napi_create_reference(env, result, 1, &s->self);
  napi_create_string_utf8(env, "steerdns:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, result, name, &s->async);

  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &s->poll, fd);
  if (rc != 0) {
    s->closing = 1;
    close(fd);
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  s->poll.data = s;
  start_reading(s);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value open_fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &open_fn);
  napi_set_named_property(env, exports, "open", open_fn);
  napi_value stats;
  napi_create_array(env, &stats);
  const char *names[STAT_COUNT] = {"batches", "received", "sent", "deferred", "pending", "dropped", "recvErrors", "sendCalls", "recvCalls"};
  for (uint32_t i = 0; i < STAT_COUNT; i++) {
    napi_value v;
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, stats, i, v);
  }
  napi_set_named_property(env, exports, "statNames", stats);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
