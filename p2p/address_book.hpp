#pragma once
// The addresses a node knows of other nodes, with when each was last seen
// and how often dialling it failed in a row, persisted as JSON in the datadir
// (file "peers.json"). Bounded: past max_entries the worst entry (most
// failures, then oldest) is forgotten; bootstrap entries are kept. Backoff:
// an address that failed n times in a row is not dialled again before
// base * 2^(n-1) (capped) has passed since the last attempt. Pure and not
// thread-safe: the host uses it on its I/O thread.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/result.hpp"

namespace tally::p2p {

inline constexpr const char* kAddressBookFileName = "peers.json";

struct AddressBookOptions {
  std::size_t max_entries = 1'000;
  std::chrono::milliseconds backoff_base{1'000};
  std::chrono::milliseconds backoff_max{300'000};
};

struct AddressEntry {
  std::string address;            // "host:port"
  std::int64_t last_seen_ms = 0;  // Unix ms of the last successful handshake; 0: never
  std::int64_t last_attempt_ms = 0;
  std::uint32_t failures = 0;  // failed dials in a row
  bool bootstrap = false;      // from --peer: never evicted
};

class AddressBook {
 public:
  explicit AddressBook(AddressBookOptions options = {}) : options_(options) {}

  // Adds an address if unknown (bootstrap also marks a known one).
  void add(const std::string& address, bool bootstrap = false);
  void remove(const std::string& address);
  void mark_attempt(const std::string& address, std::int64_t now_ms);
  void mark_success(const std::string& address, std::int64_t now_ms);
  void mark_failure(const std::string& address, std::int64_t now_ms);

  bool contains(const std::string& address) const { return entries_.count(address) != 0; }
  std::optional<AddressEntry> find(const std::string& address) const;
  std::size_t size() const { return entries_.size(); }

  // Whether `address` may be dialled now (its backoff has passed).
  bool ready(const AddressEntry& entry, std::int64_t now_ms) const;
  // Addresses ready to dial, best first (fewest failures, most recently seen).
  std::vector<std::string> dial_candidates(std::int64_t now_ms, std::size_t max) const;
  // Addresses to share with peers: ones that have worked, most recent first.
  std::vector<std::string> good_addresses(std::size_t max) const;

  // JSON: {"version": 1, "addresses": [{"address", "last_seen_ms", "failures", "bootstrap"}]}.
  Result<void> save(const std::filesystem::path& file) const;
  // A missing file is an empty book; a malformed one is an error.
  Result<void> load(const std::filesystem::path& file);

 private:
  void evict_if_full();
  AddressBookOptions options_;
  std::unordered_map<std::string, AddressEntry> entries_;
};

}  // namespace tally::p2p
