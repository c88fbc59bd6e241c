#include "wireguard/index_table.h"

#include <mutex>

#include "base/ids.h"

namespace coral::wireguard {

uint32_t IndexTable::Insert(Peer* peer) {
  std::unique_lock lock(mu_);
  for (;;) {
    uint32_t index = 0;
    FillRandom(reinterpret_cast<uint8_t*>(&index), sizeof(index));
    if (index == 0 || entries_.count(index)) continue;
    entries_[index] = Entry{peer, nullptr};
    return index;
  }
}

void IndexTable::SetKeypair(uint32_t index, std::shared_ptr<Keypair> keypair) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(index);
  if (it != entries_.end()) it->second.keypair = std::move(keypair);
}

void IndexTable::Remove(uint32_t index) {
  std::unique_lock lock(mu_);
  entries_.erase(index);
}

std::optional<IndexTable::Entry> IndexTable::Lookup(uint32_t index) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(index);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

size_t IndexTable::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace coral::wireguard
