// MCP's stdio transport: newline-delimited JSON-RPC messages on a pair of file
// descriptors (a server's stdin and stdout, or a pipe pair in tests). Only
// JSON-RPC goes to the output; logs go to stderr through base/log.h. Messages
// never contain a raw newline (json_rpc.h's Serialize escapes them).
//
// The reader handles notifications (cancellation above all) and initialize
// itself, and hands other requests to a few worker threads, so a long tool
// call can be cancelled while it runs. Responses may therefore leave in a
// different order than their requests came in, which JSON-RPC allows.
//
// One session serves both eras (server.h): a client that initializes gets the
// handshake protocol; one whose requests carry their _meta (2026-07-28),
// server/discover first as a dual-era client does, needs no initialize. A
// subscriptions/listen holds a worker until the client cancels it with
// notifications/cancelled, or its input ends.
//
// A process that serves stdio should ignore SIGPIPE, so that a client that
// goes away shows up as a write error rather than a killed process.
#pragma once

#include <cstddef>

#include "base/status.h"
#include "mcp/server.h"

namespace coral::mcp {

struct StdioOptions {
  int workers = 4;                       // requests handled at once
  size_t max_message_bytes = 16u << 20;  // a longer line is refused with -32600
};

// Serves one session until end of input, then ends what waits on the client
// and waits for the requests still in progress, and returns. Fails on a read or write error. Does
// not close the fds.
Status ServeStdio(McpServer& server, int in_fd, int out_fd, const StdioOptions& options = {});

}  // namespace coral::mcp
