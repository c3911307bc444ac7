#include "chain/account_snapshots.hpp"

#include <algorithm>

namespace tally::chain {

std::shared_ptr<const AccountSnapshot> AccountSnapshots::at(const Hash256& root) const {
  const std::lock_guard lock(mutex_);
  for (const auto& [kept_root, accounts] : kept_) {
    if (kept_root == root) return accounts;
  }
  return nullptr;
}

void AccountSnapshots::keep(const Hash256& root, std::shared_ptr<const AccountSnapshot> accounts) {
  const std::lock_guard lock(mutex_);
  std::erase_if(kept_, [&](const auto& entry) { return entry.first == root; });
  kept_.emplace_back(root, std::move(accounts));
  while (kept_.size() > kKeptRoots) kept_.pop_front();
}

}  // namespace tally::chain
