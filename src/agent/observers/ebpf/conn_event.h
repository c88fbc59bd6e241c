/* The record conn_tracker.bpf.c writes to its ring buffer, shared by the BPF
 * program and the agent. Fixed-width __u types only, so both compilers lay it
 * out the same; no kernel headers, so user space can include it as is. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum coral_conn_kind {
  CORAL_CONN_OPEN = 1,
  CORAL_CONN_CLOSE = 2,
};

/* How an open happened: an active open is a connect() from this host, a
 * passive open a connection accepted on a listener. */
enum coral_conn_origin {
  CORAL_CONN_ORIGIN_UNKNOWN = 0,
  CORAL_CONN_ORIGIN_ACTIVE = 1,
  CORAL_CONN_ORIGIN_PASSIVE = 2,
};

struct coral_conn_event {
  __u64 timestamp_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
  /* On close, tcp_sock.bytes_acked and .bytes_received: they follow snd_una
   * and rcv_nxt, so the SYN and FIN sequence numbers add up to 2 to payload. */
  __u64 bytes_sent;
  __u64 bytes_received;
  __u32 netns;          /* inode number of the socket's network namespace */
  __u32 pid;            /* tgid of the process that called connect(); 0 when unknown */
  __u8 kind;            /* enum coral_conn_kind */
  __u8 origin;          /* enum coral_conn_origin */
  __u16 family;         /* AF_INET or AF_INET6 */
  __u16 local_port;     /* host byte order */
  __u16 remote_port;    /* host byte order */
  __u8 local_addr[16];  /* 4 bytes for AF_INET, 16 for AF_INET6, network order */
  __u8 remote_addr[16];
  char comm[16];
};
