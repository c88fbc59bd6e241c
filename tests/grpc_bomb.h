// For tests of what gRPC servers do with compressed requests: a gzip "bomb"
// framed as one gRPC message (flag 1, length, a gzip stream that inflates to
// `inflated_bytes` zeros: ~1 KB per MB), written to a file, and a raw HTTP/2
// POST of it with curl, which sends the frame as it is (a gRPC client would
// compress it again).
#pragma once

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/subprocess.h"

namespace coral::testkit {

inline std::string GzipZeros(size_t inflated_bytes) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);  // +16: a gzip wrapper
  std::vector<unsigned char> zeros(1 << 20, 0);
  std::string out;
  std::vector<unsigned char> buf(1 << 16);
  size_t left = inflated_bytes;
  int flush = Z_NO_FLUSH;
  do {
    size_t n = std::min(left, zeros.size());
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = zeros.data();
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      out.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  return out;
}

// Writes the framed message to `file`.
inline void WriteGrpcGzipBomb(const std::filesystem::path& file, size_t inflated_bytes) {
  std::string gz = GzipZeros(inflated_bytes);
  std::string frame(5, '\0');
  frame[0] = 1;  // compressed
  uint32_t n = static_cast<uint32_t>(gz.size());
  frame[1] = static_cast<char>(n >> 24);
  frame[2] = static_cast<char>(n >> 16);
  frame[3] = static_cast<char>(n >> 8);
  frame[4] = static_cast<char>(n);
  std::ofstream(file, std::ios::binary) << frame << gz;
}

// POSTs the frame in `file` to http://address/path over cleartext HTTP/2 as
// gRPC with grpc-encoding: gzip. curl's output: the response headers and
// trailers (where grpc-status is).
inline std::string PostGrpcFrame(const std::string& address, const std::string& path,
                                 const std::filesystem::path& file,
                                 const std::string& bearer = "") {
  std::vector<std::string> argv = {"curl",
                                   "-sS",
                                   "--http2-prior-knowledge",
                                   "-D",
                                   "-",
                                   "-o",
                                   "/dev/null",
                                   "-H",
                                   "content-type: application/grpc",
                                   "-H",
                                   "grpc-encoding: gzip",
                                   "-H",
                                   "te: trailers",
                                   "--data-binary",
                                   "@" + file.string(),
                                   "http://" + address + path};
  if (!bearer.empty()) argv.insert(argv.begin() + 1, {"-H", "authorization: Bearer " + bearer});
  auto r = RunCommand(argv, std::chrono::seconds(60));
  return r.ok() ? r->out + r->err : r.status().ToString();
}

// Whether an answer of PostGrpcFrame is a refusal before the body was read:
// UNIMPLEMENTED (grpc-status 12) as trailers only, then a reset stream, which
// curl may report (error 92) before it prints the answer.
inline bool RefusedUnread(const std::string& answer) {
  return answer.find("grpc-status: 12") != std::string::npos ||
         answer.find("curl: (92)") != std::string::npos;
}

// This process's peak resident memory (VmHWM), in MB; ResetPeakRss starts
// counting again from what is resident now.
inline long PeakRssMb(pid_t pid = 0) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status")
                            : "/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}
inline void ResetPeakRss(pid_t pid = 0) {
  std::ofstream(pid == 0 ? std::string("/proc/self/clear_refs")
                         : "/proc/" + std::to_string(pid) + "/clear_refs")
      << "5";
}

}  // namespace coral::testkit
