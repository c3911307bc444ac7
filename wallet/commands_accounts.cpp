// Account commands: new, import, export, list; and what every command
// shares (options, passwords, unlocking).

#include <cctype>
#include <cstdlib>

#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "wallet/amount.hpp"
#include "wallet/commands.hpp"
#include "wallet/errors.hpp"

namespace tally::wallet {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxSecretFileBytes = 4096;

std::string checksum(const Address& address) {
  return crypto::to_checksum_address(address);
}

// First line of a small file (passwords, keys, mnemonics), without its line ending.
std::string first_line_of(const fs::path& path) {
  std::string text = read_small_file(path, kMaxSecretFileBytes);
  const auto end = text.find('\n');
  return strip_line_ending(end == std::string::npos ? text : text.substr(0, end + 1));
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// Words joined by single spaces, as BIP-39 hashes them (and ethers does).
std::string normalize_words(const std::string& text) {
  std::string out;
  std::string word;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || std::isspace(static_cast<unsigned char>(text[i]))) {
      if (!word.empty()) out += (out.empty() ? "" : " ") + word;
      word.clear();
    } else {
      word += text[i];
    }
  }
  return out;
}

Json account_json(const Address& address, const fs::path& path) {
  return Json{{"address", checksum(address)}, {"path", path.string()}};
}

}  // namespace

fs::path default_keystore_dir() {
  if (const char* env = std::getenv("TALLY_KEYSTORE"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    throw WalletError("cannot find the keystore folder: HOME is not set; pass --keystore or set TALLY_KEYSTORE");
  }
  return fs::path(home) / ".tally" / "keystore";
}

std::string default_rpc_url() {
  if (const char* env = std::getenv("TALLY_RPC"); env != nullptr && *env != '\0') return env;
  return std::string(kDefaultRpcUrl);
}

Address parse_address_arg(const std::string& text, std::string_view what) {
  auto address = crypto::parse_address(text);
  if (!address) throw WalletError("bad " + std::string(what) + " address '" + text + "': " + address.error().message);
  return *address;
}

U256 parse_fee_arg(const std::string& text, std::string_view what) {
  const bool has_unit = !text.empty() && std::isalpha(static_cast<unsigned char>(text.back()));
  auto value = parse_amount(has_unit ? text : text + "gwei");
  if (!value) throw WalletError("bad " + std::string(what) + ": " + value.error().message);
  return *value;
}

Wallet::Wallet(GlobalOptions options, Prompter& prompter, NodeFactory node_factory, std::ostream& progress)
    : options_(std::move(options)),
      prompter_(prompter),
      node_factory_(std::move(node_factory)),
      progress_(progress),
      keystore_(options_.keystore_dir) {}

NodeClient& Wallet::node() {
  if (!node_) node_ = node_factory_(options_);
  return *node_;
}

std::string Wallet::existing_password(const std::string& what) {
  if (options_.password_file) return first_line_of(*options_.password_file);
  return prompter_.secret("Password for " + what);
}

std::string Wallet::new_password() {
  if (options_.password_file) return first_line_of(*options_.password_file);
  std::string password = prompter_.secret("New password");
  if (prompter_.interactive() && prompter_.secret("Repeat the password") != password) {
    throw WalletError("the passwords do not match; nothing was written");
  }
  return password;
}

AccountFile Wallet::resolve_account(const std::string& text) const {
  const Address address = parse_address_arg(text, "account");
  auto found = keystore_.find(address);
  if (!found) {
    throw WalletError("unknown account " + checksum(address) + ": no keystore file for it in " +
                      keystore_.path().string() + " (see 'tally-wallet list', or pass --keystore)");
  }
  return *found;
}

crypto::PrivateKey Wallet::unlock(const AccountFile& account) {
  const std::string text = read_small_file(account.path, crypto::KeystoreLimits::kMaxFileBytes);
  auto key = crypto::decrypt_keystore(text, existing_password(checksum(account.address)));
  if (!key) {
    throw WalletError("cannot unlock " + checksum(account.address) + ": " + key.error().message + " (" +
                      account.path.string() + ")");
  }
  return *key;
}

Json Wallet::store_key(const crypto::PrivateKey& key) {
  const Address address = crypto::address_of(crypto::public_key_of(key));
  if (auto existing = keystore_.find(address)) {
    throw WalletError("account " + checksum(address) + " is already in " + existing->path.string());
  }
  const std::string password = new_password();
  const fs::path path = keystore_.store(crypto::encrypt_key(key, password, options_.scrypt));
  return account_json(address, path);
}

Json Wallet::create_account() {
  return store_key(crypto::generate_private_key());
}

Json Wallet::import_keystore(const fs::path& file) {
  const std::string text = read_small_file(file, crypto::KeystoreLimits::kMaxFileBytes);
  auto keystore = crypto::parse_keystore(text);
  if (!keystore) throw WalletError(file.string() + ": " + keystore.error().message);
  auto key = crypto::decrypt_keystore(*keystore, existing_password(file.filename().string()));
  if (!key) throw WalletError(file.string() + ": " + key.error().message);
  // Stored as it came (same password and KDF); only the address is filled
  // in for files that lack it, so `list` can show it without a password.
  keystore->address = crypto::address_of(crypto::public_key_of(*key));
  if (auto existing = keystore_.find(*keystore->address)) {
    throw WalletError("account " + checksum(*keystore->address) + " is already in " + existing->path.string());
  }
  return account_json(*keystore->address, keystore_.store(*keystore));
}

Json Wallet::import_private_key(const std::optional<fs::path>& key_file) {
  std::string text = trim(key_file ? first_line_of(*key_file) : prompter_.secret("Private key (hex)"));
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != 32) {
    throw WalletError("the private key must be 32 bytes of hex (64 digits, optional 0x)");
  }
  auto key = crypto::private_key_from_bytes(*bytes);
  if (!key) throw WalletError("invalid private key: " + key.error().message);
  return store_key(*key);
}

Json Wallet::import_mnemonic(const std::optional<fs::path>& mnemonic_file, std::uint32_t index,
                             const std::optional<std::string>& path) {
  const std::string mnemonic = normalize_words(mnemonic_file ? read_small_file(*mnemonic_file, kMaxSecretFileBytes)
                                                             : prompter_.secret("Mnemonic (BIP-39 words)"));
  if (auto valid = crypto::validate_mnemonic(mnemonic); !valid) {
    throw WalletError("bad mnemonic: " + valid.error().message);
  }
  if (index >= crypto::kHardened) throw WalletError("--index must be below 2^31");
  const std::string derivation = path ? *path : std::string(kDefaultDerivationPrefix) + std::to_string(index);
  auto master = crypto::master_key_from_seed(crypto::mnemonic_to_seed(mnemonic));
  if (!master) throw WalletError("cannot derive from this mnemonic: " + master.error().message);
  auto child = crypto::derive_path(*master, derivation);
  if (!child) throw WalletError("bad derivation path '" + derivation + "': " + child.error().message);
  Json out = store_key(child->key);
  out["derivationPath"] = derivation;
  return out;
}

Json Wallet::export_account(const std::string& account, const std::optional<fs::path>& out) {
  const AccountFile file = resolve_account(account);
  (void)unlock(file);  // proves the password and the file's integrity before it leaves
  const std::string text = read_small_file(file.path, crypto::KeystoreLimits::kMaxFileBytes);
  Json result = {{"address", checksum(file.address)}};
  if (out) {
    write_file_atomically(*out, text, /*overwrite=*/false);
    result["path"] = out->string();
  } else {
    result["keystore"] = Json::parse(text);
  }
  return result;
}

Json Wallet::list_accounts() {
  const AccountListing listing = keystore_.list();
  Json accounts = Json::array();
  for (const auto& account : listing.accounts) accounts.push_back(account_json(account.address, account.path));
  Json skipped = Json::array();
  for (const auto& path : listing.skipped) skipped.push_back(path.string());
  return Json{{"keystore", keystore_.path().string()}, {"accounts", accounts}, {"skipped", skipped}};
}

}  // namespace tally::wallet
