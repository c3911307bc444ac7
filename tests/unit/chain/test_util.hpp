#pragma once
// Small helpers shared by the chain tests.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/hex.hpp"

namespace tally::test {

// Hex to bytes; fails the test (and returns empty) on bad hex.
inline Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.ok()) << "bad hex in test: " << text;
  return bytes ? *bytes : Bytes{};
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_fixed(std::string_view text) {
  auto bytes = from_hex_fixed<N>(text);
  EXPECT_TRUE(bytes.ok()) << "bad hex in test: " << text;
  return bytes ? *bytes : std::array<std::uint8_t, N>{};
}

inline std::filesystem::path vectors_dir() {
  return std::filesystem::path(TALLY_VECTORS_DIR);
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

// True when `text` contains `needle`; gives a readable failure message.
inline ::testing::AssertionResult mentions(const std::string& text, std::string_view needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not mention \"" << needle << "\"";
}

}  // namespace tally::test
