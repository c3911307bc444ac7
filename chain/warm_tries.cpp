#include "chain/warm_tries.hpp"

#include <utility>

#include "chain/trie.hpp"

namespace tally::chain {

WarmTries::WarmTries() = default;
WarmTries::~WarmTries() = default;

std::unique_ptr<SecureTrie> WarmTries::take(const Hash256& root) {
  const std::lock_guard lock(mutex_);
  if (!trie_ || root_ != root) return nullptr;
  return std::move(trie_);
}

void WarmTries::keep(std::unique_ptr<SecureTrie> trie) {
  if (!trie || trie->plain().nodes_made() > kMaxNodes) return;  // freed here, outside the lock
  const Hash256 root = trie->plain().committed_root();
  std::unique_ptr<SecureTrie> replaced;  // freed after the lock is released
  const std::lock_guard lock(mutex_);
  replaced = std::exchange(trie_, std::move(trie));
  root_ = root;
}

std::optional<Hash256> WarmTries::kept_root() const {
  const std::lock_guard lock(mutex_);
  if (!trie_) return std::nullopt;
  return root_;
}

}  // namespace tally::chain
