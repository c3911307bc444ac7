#pragma once
// An account as the state holds it: a nonce and a balance (no code or
// storage: the ledger moves value only).

#include <cstdint>

#include "crypto/uint256.hpp"

namespace tally::chain {

struct Account {
  std::uint64_t nonce = 0;
  U256 balance = 0;
  bool operator==(const Account&) const = default;
  bool empty() const { return nonce == 0 && balance == 0; }
};

}  // namespace tally::chain
