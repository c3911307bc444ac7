#pragma once
// The admin token: a random secret the node keeps in a file of its datadir
// (like bitcoind's .cookie). A client that can read the file may call admin
// methods on a server bound to a non-loopback address, by sending the header
// "Authorization: Bearer <token>".

#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace tally::rpc {

inline constexpr std::size_t kTokenBytes = 32;  // 64 hex characters

// Reads the token from `path`, or creates the file (mode 0600, owner only)
// holding a fresh random token when it does not exist. An existing file
// must hold exactly 64 hex characters (a trailing newline is allowed).
Result<std::string> load_or_create_token(const std::filesystem::path& path);

// Compares two tokens in time independent of where they differ.
bool tokens_equal(std::string_view a, std::string_view b);

}  // namespace tally::rpc
