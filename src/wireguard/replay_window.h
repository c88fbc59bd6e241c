// The anti-replay sliding window for transport counters (RFC 6479's bitmap of
// blocks): a counter is accepted once, and only while it is within the window
// behind the greatest counter seen. Counters at or past REJECT_AFTER_MESSAGES
// are never accepted.
//
// Thread-safety: none; the keypair that owns a window guards it.
#pragma once

#include <array>
#include <cstdint>

namespace coral::wireguard {

class ReplayWindow {
 public:
  static constexpr uint64_t kBitsTotal = 8192;
  // How far behind the greatest counter a late packet may still arrive.
  static constexpr uint64_t kWindowSize = kBitsTotal - 64;

  ReplayWindow() { Reset(); }
  void Reset();
  // Accepts `counter` (and remembers it) when it is fresh; false for replays,
  // counters too far behind, and counters past the message limit. Call only
  // after the packet authenticated, so forgeries cannot move the window.
  [[nodiscard]] bool Accept(uint64_t counter);

 private:
  static constexpr uint64_t kBlocks = kBitsTotal / 64;
  uint64_t greatest_ = 0;  // the greatest counter seen, plus one (0: none yet)
  std::array<uint64_t, kBlocks> bitmap_{};
};

}  // namespace coral::wireguard
