#include "telemetry/gzip.h"

#include <zlib.h>

#include <algorithm>

namespace coral::telemetry {

Status Gunzip(std::string_view compressed, size_t max_bytes, std::string* out) {
  out->clear();
  z_stream z{};
  // 16 + MAX_WBITS: gzip framing only (not raw deflate or zlib).
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Internal("gzip: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  Status status;
  constexpr size_t kChunk = 64 << 10;
  while (true) {
    size_t used = out->size();
    if (used >= max_bytes + 1) {
      status = ResourceExhausted("gzip: the request decompresses to more than the limit of " +
                                 std::to_string(max_bytes) + " bytes");
      break;
    }
    // Never grow past max_bytes + 1: one byte over proves the limit is broken.
    size_t room = std::min(kChunk, max_bytes + 1 - used);
    out->resize(used + room);
    z.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    z.avail_out = static_cast<uInt>(room);
    int rc = inflate(&z, Z_NO_FLUSH);
    out->resize(used + room - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // Another gzip member follows (concatenated gzip is valid gzip).
      if (inflateReset(&z) != Z_OK) {
        status = InvalidArgument("gzip: cannot continue after a member");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      status = InvalidArgument("gzip: the compressed body is truncated");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = InvalidArgument(std::string("gzip: ") + (z.msg ? z.msg : "corrupt data"));
      break;
    }
  }
  inflateEnd(&z);
  if (status.ok() && out->size() > max_bytes) {
    status = ResourceExhausted("gzip: the request decompresses to more than the limit of " +
                               std::to_string(max_bytes) + " bytes");
  }
  if (!status.ok()) out->clear();
  return status;
}

Result<std::string> Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Internal("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Internal("gzip: deflate did not finish");
  return out;
}

}  // namespace coral::telemetry
