#pragma once
// The tally-wallet commands as functions: each takes its arguments, does the
// work, and returns the result as JSON (the --json output; main() renders
// it for people otherwise, see render.hpp). Progress goes to `progress`
// (stderr in the program), so stdout carries only the result. Errors are
// thrown as WalletError (errors.hpp) and never leave a partial file behind.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "crypto/keystore.hpp"
#include "crypto/secp256k1.hpp"
#include "wallet/keystore_dir.hpp"
#include "wallet/node_client.hpp"
#include "wallet/prompter.hpp"
#include "wallet/send.hpp"

namespace tally::wallet {

inline constexpr std::string_view kDefaultRpcUrl = "http://127.0.0.1:8545";
inline constexpr std::string_view kDefaultDerivationPrefix = "m/44'/60'/0'/0/";

struct GlobalOptions {
  std::string rpc_url{kDefaultRpcUrl};
  std::filesystem::path keystore_dir;
  std::optional<std::filesystem::path> password_file;
  bool json = false;
  std::chrono::milliseconds rpc_timeout{10'000};
  // scrypt for keys this run writes (tests and throwaway dev keys use light).
  crypto::ScryptParams scrypt = crypto::kScryptStandard;
};

// $TALLY_KEYSTORE, else $HOME/.tally/keystore.
std::filesystem::path default_keystore_dir();
// $TALLY_RPC, else http://127.0.0.1:8545.
std::string default_rpc_url();

struct SendOptions {
  std::string from;
  std::string to;
  std::string value;
  std::optional<std::string> data;
  bool legacy = false;
  std::optional<std::uint64_t> nonce;
  std::optional<std::uint64_t> gas_limit;
  std::optional<std::string> max_fee;       // a plain number is gwei
  std::optional<std::string> priority_fee;  // a plain number is gwei
  std::optional<std::string> gas_price;     // a plain number is gwei
  std::optional<std::uint64_t> chain_id;
  bool yes = false;
  bool wait = true;
  WaitOptions wait_options;
};

struct MineCommandOptions {
  std::uint64_t blocks = 1;
  unsigned threads = 1;
  std::optional<std::string> to;
  std::chrono::milliseconds poll_interval{500};
  const std::atomic<bool>* interrupted = nullptr;
};

class Wallet {
 public:
  using NodeFactory = std::function<std::unique_ptr<NodeClient>(const GlobalOptions&)>;

  Wallet(GlobalOptions options, Prompter& prompter, NodeFactory node_factory, std::ostream& progress);

  Json create_account();
  Json import_keystore(const std::filesystem::path& file);
  // The key is read from `key_file` (hex, optional 0x), else prompted for.
  Json import_private_key(const std::optional<std::filesystem::path>& key_file);
  // The mnemonic is read from `mnemonic_file`, else prompted for. `path`
  // defaults to m/44'/60'/0'/0/<index>.
  Json import_mnemonic(const std::optional<std::filesystem::path>& mnemonic_file, std::uint32_t index,
                       const std::optional<std::string>& path);
  // Checks the password, then writes the account's V3 file to `out` (0600,
  // never overwriting) or returns it in the result.
  Json export_account(const std::string& account, const std::optional<std::filesystem::path>& out);
  Json list_accounts();
  Json balance(const std::optional<std::string>& account, const std::string& block);
  Json send(const SendOptions& options);
  Json transaction(const std::string& hash);
  Json mine(const MineCommandOptions& options);

  // Parses an address (EIP-55 checked) that must be in the keystore folder.
  AccountFile resolve_account(const std::string& text) const;

 private:
  NodeClient& node();
  std::string existing_password(const std::string& what);
  std::string new_password();
  crypto::PrivateKey unlock(const AccountFile& account);
  Json store_key(const crypto::PrivateKey& key);

  GlobalOptions options_;
  Prompter& prompter_;
  NodeFactory node_factory_;
  std::unique_ptr<NodeClient> node_;
  std::ostream& progress_;
  KeystoreDir keystore_;
};

// An address given on the command line: WalletError "bad address ..." otherwise.
Address parse_address_arg(const std::string& text, std::string_view what);
// A fee option: parse_amount with gwei as the unit of a plain number.
U256 parse_fee_arg(const std::string& text, std::string_view what);

}  // namespace tally::wallet
