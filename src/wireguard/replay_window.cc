#include "wireguard/replay_window.h"

#include <algorithm>

#include "wireguard/messages.h"

namespace coral::wireguard {

void ReplayWindow::Reset() {
  greatest_ = 0;
  bitmap_.fill(0);
}

bool ReplayWindow::Accept(uint64_t counter) {
  if (counter >= kRejectAfterMessages) return false;
  // Shift by one so that "nothing seen yet" (0) differs from "counter 0 seen".
  uint64_t c = counter + 1;
  if (c + kWindowSize < greatest_) return false;
  uint64_t block = c >> 6;
  if (c > greatest_) {
    uint64_t current = greatest_ >> 6;
    uint64_t advance = std::min<uint64_t>(block - current, kBlocks);
    for (uint64_t i = 1; i <= advance; ++i) bitmap_[(current + i) & (kBlocks - 1)] = 0;
    greatest_ = c;
  }
  uint64_t& word = bitmap_[block & (kBlocks - 1)];
  uint64_t bit = 1ULL << (c & 63);
  if (word & bit) return false;
  word |= bit;
  return true;
}

}  // namespace coral::wireguard
