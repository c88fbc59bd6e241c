// Maps the 32-bit receiver indices that arrive in responses, cookie replies and
// transport messages to the peer (and, once a session exists, the keypair) they
// belong to. Indices are random so they reveal nothing about the peer set.
//
// Thread-safety: safe from any thread; mu_ guards entries_.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "wireguard/keypair.h"

namespace coral::wireguard {

class Peer;

class IndexTable {
 public:
  struct Entry {
    Peer* peer = nullptr;
    std::shared_ptr<Keypair> keypair;  // null while the index names a handshake
  };

  // A fresh random non-zero index for `peer`.
  uint32_t Insert(Peer* peer);
  void SetKeypair(uint32_t index, std::shared_ptr<Keypair> keypair);
  void Remove(uint32_t index);
  std::optional<Entry> Lookup(uint32_t index) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;  // guards entries_
  std::unordered_map<uint32_t, Entry> entries_;
};

}  // namespace coral::wireguard
