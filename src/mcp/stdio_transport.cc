#include "mcp/stdio_transport.h"

#include <errno.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"

namespace coral::mcp {
namespace {

// Writes whole lines; several threads share one output.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}

  void Write(const Message& message) {
    std::string line = Serialize(message);
    line.push_back('\n');
    std::lock_guard lock(mu_);
    if (!status_.ok()) return;
    size_t done = 0;
    while (done < line.size()) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = ErrnoError("mcp stdio: writing to fd " + std::to_string(fd_), errno);
        return;
      }
      done += static_cast<size_t>(n);
    }
  }

  Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  const int fd_;
  std::mutex mu_;  // guards the fd's write position (whole lines) and status_
  Status status_;
};

// Requests waiting for a worker.
class WorkQueue {
 public:
  void Push(Request request) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(request));
    }
    cv_.notify_one();
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Nothing once closed and drained.
  std::optional<Request> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
    if (queue_.empty()) return std::nullopt;
    Request r = std::move(queue_.front());
    queue_.pop_front();
    return r;
  }

 private:
  std::mutex mu_;  // guards queue_ and closed_
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool closed_ = false;
};

}  // namespace

Status ServeStdio(McpServer& server, int in_fd, int out_fd, const StdioOptions& options) {
  CORAL_CHECK(options.workers > 0, "StdioOptions::workers must be positive");
  LineWriter writer(out_fd);
  std::unique_ptr<McpSession> session =
      server.NewSession([&writer](const Message& m) { writer.Write(m); });

  WorkQueue queue;
  std::vector<std::thread> workers;
  for (int i = 0; i < options.workers; ++i) {
    workers.emplace_back([&] {
      while (auto request = queue.Pop()) {
        if (auto answer = session->Handle(*request)) writer.Write(*answer);
      }
    });
  }

  auto on_line = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    ParseResult parsed = ParseMessage(line);
    if (!parsed.ok()) {
      writer.Write(*parsed.error);
      return;
    }
    auto* request = std::get_if<Request>(&*parsed.message);
    if (request != nullptr && request->method != "initialize") {
      queue.Push(std::move(*request));
      return;
    }
    if (auto answer = session->Handle(*parsed.message)) writer.Write(*answer);
  };

  Status read_status;
  std::string pending;
  bool skipping = false;  // inside a line that was too long, until its newline
  std::vector<char> buf(64 << 10);
  while (true) {
    ssize_t n = ::read(in_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_status = ErrnoError("mcp stdio: reading fd " + std::to_string(in_fd), errno);
      break;
    }
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    while (!chunk.empty()) {
      size_t nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl);
      if (!skipping) pending.append(piece);
      if (!skipping && pending.size() > options.max_message_bytes) {
        writer.Write(MakeError(std::nullopt, error_code::kInvalidRequest,
                               "invalid request: message exceeds " +
                                   std::to_string(options.max_message_bytes) + " bytes"));
        pending.clear();
        skipping = true;
      }
      if (nl == std::string_view::npos) break;
      if (!skipping) on_line(pending);
      pending.clear();
      skipping = false;
      chunk.remove_prefix(nl + 1);
    }
    if (!writer.status().ok()) break;
  }
  // A last message without its newline still counts.
  if (read_status.ok() && !skipping && !pending.empty()) on_line(pending);

  // Nothing more can come from the client: what waits on it (answers to our
  // requests, subscriptions/listen streams) ends, so the workers finish.
  session->AbandonClientRequests();
  queue.Close();
  for (std::thread& t : workers) t.join();
  CORAL_TRY(read_status);
  return writer.status();
}

}  // namespace coral::mcp
