#pragma once
// The folder of keystore files (geth's layout: one V3 JSON file per key,
// named "UTC--<creation time>--<address hex>"). Files are written
// atomically: a temporary file in the same folder (mode 0600), fsync,
// then a hard link or rename into place and an fsync of the folder, so a
// crash leaves the old state or the new one, never a partial file. The
// folder is created with mode 0700.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/keystore.hpp"

namespace tally::wallet {

struct AccountFile {
  Address address{};
  std::filesystem::path path;
};

struct AccountListing {
  std::vector<AccountFile> accounts;           // oldest first (file names start with the time)
  std::vector<std::filesystem::path> skipped;  // not a V3 keystore, or no address field
};

// Writes `content` to `target` atomically with mode 0600. With
// overwrite == false an existing target is an error (WalletError).
void write_file_atomically(const std::filesystem::path& target, std::string_view content, bool overwrite);

// Reads a whole file of at most `max_bytes`; WalletError naming the path otherwise.
std::string read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

class KeystoreDir {
 public:
  explicit KeystoreDir(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& path() const noexcept { return dir_; }

  // A missing folder lists as empty.
  AccountListing list() const;
  std::optional<AccountFile> find(const Address& address) const;
  // Stores a keystore (which must carry its address); refuses a second file
  // for an address already present. Returns the new file's path.
  std::filesystem::path store(const crypto::Keystore& keystore) const;

  // "UTC--2026-11-22T08-18-18.123456789Z--<40 hex digits>" for now.
  static std::string file_name_for(const Address& address);

 private:
  std::filesystem::path dir_;
};

}  // namespace tally::wallet
