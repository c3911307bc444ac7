#pragma once
// The 2048-word BIP-39 English wordlist, sorted, index = 11-bit word value.

#include <array>
#include <string_view>

namespace tally::crypto {

extern const std::array<std::string_view, 2048> kBip39English;

}  // namespace tally::crypto
