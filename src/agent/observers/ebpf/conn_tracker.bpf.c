/* TCP connection opens and closes from the inet_sock_set_state tracepoint,
 * attached as tp_btf (BTF-typed arguments, no kprobes needed), written to a
 * ring buffer for the agent (src/agent/observers/ebpf_connections.cc).
 *
 * Owners: the transition into ESTABLISHED runs in softirq for both active
 * (SYN-ACK received) and passive (final ACK received) opens, so the current
 * task there is whoever the CPU interrupted. The owner of an active open is
 * taken when the socket enters SYN_SENT, which happens inside connect() in
 * the caller's context, and kept per socket in `owners`. Passive opens carry
 * pid 0 and origin PASSIVE; the agent attributes them to the process owning
 * the listener on that port. Closes carry whatever was recorded at open. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "conn_event.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

/* Kernel TCP states (include/net/tcp_states.h). */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12

char LICENSE[] SEC("license") = "GPL";

struct owner {
  __u32 pid;
  __u8 origin;
  char comm[16];
};

/* Sockets seen opening, by address of their struct sock. LRU so sockets whose
 * close was missed (the agent started after they opened) cannot fill it. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64);
  __type(value, struct owner);
} owners SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Events lost because the ring buffer was full; the agent reports them. */
__u64 dropped = 0;

static __always_inline void fill_endpoints(struct coral_conn_event *e, const struct sock *sk) {
  e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  /* On the way into TCP_CLOSE, tcp_set_state() releases the port binding
   * (inet_put_port) and zeroes skc_num before the tracepoint fires; the
   * inet_sock's source port survives. */
  e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
  if (e->local_port == 0) {
    e->local_port = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
  }
  e->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
  e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
  /* Explicit sizes: BPF_CORE_READ_INTO would copy sizeof(*dst), one byte. */
  if (e->family == AF_INET) {
    bpf_core_read(e->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
    bpf_core_read(e->remote_addr, 4, &sk->__sk_common.skc_daddr);
  } else {
    bpf_core_read(e->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_core_read(e->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
  }
}

static __always_inline void emit(const struct sock *sk, __u8 kind, const struct owner *o) {
  struct coral_conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    __sync_fetch_and_add(&dropped, 1);
    return;
  }
  __builtin_memset(e, 0, sizeof(*e));
  e->timestamp_ns = bpf_ktime_get_ns();
  e->kind = kind;
  fill_endpoints(e, sk);
  if (o) {
    e->pid = o->pid;
    e->origin = o->origin;
    __builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
  }
  if (kind == CORAL_CONN_CLOSE) {
    const struct tcp_sock *tp = (const struct tcp_sock *)sk;
    e->bytes_sent = BPF_CORE_READ(tp, bytes_acked);
    e->bytes_received = BPF_CORE_READ(tp, bytes_received);
  }
  bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(coral_inet_sock_set_state, const struct sock *sk, const int oldstate,
             const int newstate) {
  if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP) return 0;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (family != AF_INET && family != AF_INET6) return 0;
  __u64 key = (__u64)sk;

  if (newstate == TCP_SYN_SENT) {
    /* Inside connect(): the current task is the owner. */
    struct owner o = {};
    o.pid = bpf_get_current_pid_tgid() >> 32;
    o.origin = CORAL_CONN_ORIGIN_ACTIVE;
    bpf_get_current_comm(o.comm, sizeof(o.comm));
    bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
    return 0;
  }
  if (newstate == TCP_ESTABLISHED) {
    if (oldstate == TCP_SYN_SENT) {
      emit(sk, CORAL_CONN_OPEN, bpf_map_lookup_elem(&owners, &key));
    } else if (oldstate == TCP_SYN_RECV) {
      struct owner o = {};
      o.origin = CORAL_CONN_ORIGIN_PASSIVE;
      bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
      emit(sk, CORAL_CONN_OPEN, &o);
    }
    return 0;
  }
  if (newstate == TCP_CLOSE) {
    /* Connections that never got established (refused connects, aborted
     * handshakes) and listeners closing are not connections. */
    if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV || oldstate == TCP_LISTEN ||
        oldstate == TCP_NEW_SYN_RECV || oldstate == TCP_CLOSE) {
      bpf_map_delete_elem(&owners, &key);
      return 0;
    }
    emit(sk, CORAL_CONN_CLOSE, bpf_map_lookup_elem(&owners, &key));
    bpf_map_delete_elem(&owners, &key);
  }
  return 0;
}
