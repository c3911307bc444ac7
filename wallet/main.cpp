// tally-wallet: the command line around wallet/commands.hpp. Parses the
// options (CLI11), runs one command, prints its result (text, or JSON with
// --json) and maps errors to exit codes (errors.hpp).

#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <iostream>

#include "wallet/commands.hpp"
#include "wallet/errors.hpp"
#include "wallet/render.hpp"

namespace {

using namespace tally::wallet;  // NOLINT(google-build-using-namespace): the program's own namespace

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int /*signal*/) {
  g_interrupted.store(true);
}

struct Parsed {
  GlobalOptions global;
  std::string keystore_text;
  std::string password_file;
  double rpc_timeout_s = 10;
  bool light = false;
  std::string command;
  // import
  std::string import_keystore_file;
  std::string key_file;
  std::string mnemonic_file;
  std::uint32_t index = 0;
  std::string derivation_path;
  // export, balance, tx
  std::string account;
  std::string out_file;
  std::string block = "latest";
  std::string hash;
  // send
  SendOptions send;
  double receipt_timeout_s = 120;
  bool no_wait = false;
  std::string data, max_fee, priority_fee, gas_price;
  // mine
  MineCommandOptions mine;
  std::string mine_to;
};

std::optional<std::string> opt(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

void add_import(CLI::App& app, Parsed& p) {
  auto* import =
      app.add_subcommand("import", "Import a key: from a V3 keystore file, a raw private key, or a mnemonic");
  import->require_subcommand(1);
  auto* keystore = import->add_subcommand("keystore", "Copy in a V3 keystore file made by geth, ethers, MetaMask...");
  keystore->add_option("FILE", p.import_keystore_file, "The keystore file (its password is asked for)")->required();
  keystore->callback([&p] { p.command = "import-keystore"; });
  auto* key = import->add_subcommand("key", "A raw private key, read from --file or typed at the prompt");
  key->add_option("--file", p.key_file, "File whose first line is the key in hex");
  key->add_flag("--light", p.light, "Light scrypt (n=4096): for throwaway test keys only");
  key->callback([&p] { p.command = "import-key"; });
  auto* mnemonic = import->add_subcommand("mnemonic", "A BIP-39 mnemonic, read from --file or typed at the prompt");
  mnemonic->add_option("--file", p.mnemonic_file, "File holding the mnemonic words");
  mnemonic->add_option("--index", p.index, "Account index i of m/44'/60'/0'/0/i (default 0)");
  mnemonic->add_option("--path", p.derivation_path, "Full BIP-32 path instead, e.g. m/44'/60'/1'/0/0");
  mnemonic->add_flag("--light", p.light, "Light scrypt (n=4096): for throwaway test keys only");
  mnemonic->callback([&p] { p.command = "import-mnemonic"; });
}

void add_send(CLI::App& app, Parsed& p) {
  auto* send = app.add_subcommand("send", "Sign and send a transfer, then wait for its receipt");
  send->add_option("--from", p.send.from, "Sending account (in the keystore)")->required();
  send->add_option("--to", p.send.to, "Recipient address (EIP-55 checked)")->required();
  send->add_option("--value", p.send.value, "Amount: ether by default (1.5), or with wei/gwei (30gwei)")->required();
  send->add_option("--data", p.data, "A note: 0x-prefixed hex bytes, or any other text as UTF-8");
  send->add_flag("--legacy", p.send.legacy, "Type-0 (legacy, EIP-155) transaction instead of EIP-1559");
  send->add_option("--nonce", p.send.nonce, "Nonce (default: the node's pending count); for replacements");
  send->add_option("--gas-limit", p.send.gas_limit, "Gas limit (default: eth_estimateGas)");
  send->add_option("--max-fee", p.max_fee, "EIP-1559 max fee per gas (plain number = gwei)");
  send->add_option("--priority-fee", p.priority_fee, "EIP-1559 priority fee per gas (plain number = gwei)");
  send->add_option("--gas-price", p.gas_price, "Legacy gas price (plain number = gwei)");
  send->add_option("--chain-id", p.send.chain_id, "Refuse to send unless the node is on this chain id");
  send->add_flag("-y,--yes", p.send.yes, "Do not ask for confirmation");
  send->add_flag("--no-wait", p.no_wait, "Return once the node accepted it, without waiting for a receipt");
  send->add_option("--timeout", p.receipt_timeout_s, "Seconds to wait for the receipt (default 120)");
  send->callback([&p] { p.command = "send"; });
}

void add_commands(CLI::App& app, Parsed& p) {
  auto* create = app.add_subcommand("new", "Create an account (a new key in an encrypted V3 keystore file)");
  create->add_flag("--light", p.light, "Light scrypt (n=4096): for throwaway test keys only");
  create->callback([&p] { p.command = "new"; });
  add_import(app, p);
  auto* exp = app.add_subcommand("export", "Write an account's V3 keystore file (after checking its password)");
  exp->add_option("ACCOUNT", p.account, "Account address")->required();
  exp->add_option("--out", p.out_file, "File to write (never overwritten); default: print it");
  exp->callback([&p] { p.command = "export"; });
  app.add_subcommand("list", "List the accounts in the keystore folder")->callback([&p] { p.command = "list"; });
  auto* balance = app.add_subcommand("balance", "Balance and nonce of an address (default: every account)");
  balance->add_option("ADDRESS", p.account, "Any address");
  balance->add_option("--block", p.block, "latest (default), pending, earliest, safe, finalized or a number");
  balance->callback([&p] { p.command = "balance"; });
  add_send(app, p);
  auto* tx = app.add_subcommand("tx", "Status and details of a transaction");
  tx->add_option("HASH", p.hash, "Transaction hash (0x + 64 hex digits)")->required();
  tx->callback([&p] { p.command = "tx"; });
  auto* mine = app.add_subcommand("mine", "Mine blocks through eth_getWork/eth_submitWork (proof-of-work chains)");
  mine->add_option("--blocks", p.mine.blocks, "Blocks to mine (default 1)");
  mine->add_option("--threads", p.mine.threads, "Threads grinding nonces (default 1)");
  mine->add_option("--to", p.mine_to, "Address paid (default: the first account)");
  mine->callback([&p] { p.command = "mine"; });
}

Json run(Parsed& p, Wallet& wallet) {
  if (p.command == "new") return wallet.create_account();
  if (p.command == "import-keystore") return wallet.import_keystore(p.import_keystore_file);
  if (p.command == "import-key") {
    return wallet.import_private_key(p.key_file.empty() ? std::nullopt
                                                        : std::optional<std::filesystem::path>(p.key_file));
  }
  if (p.command == "import-mnemonic") {
    return wallet.import_mnemonic(
        p.mnemonic_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(p.mnemonic_file), p.index,
        opt(p.derivation_path));
  }
  if (p.command == "export") {
    return wallet.export_account(p.account,
                                 p.out_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(p.out_file));
  }
  if (p.command == "list") return wallet.list_accounts();
  if (p.command == "balance") return wallet.balance(opt(p.account), p.block);
  if (p.command == "tx") return wallet.transaction(p.hash);
  if (p.command == "send") {
    p.send.data = opt(p.data);
    p.send.max_fee = opt(p.max_fee);
    p.send.priority_fee = opt(p.priority_fee);
    p.send.gas_price = opt(p.gas_price);
    p.send.wait = !p.no_wait;
    if (!(p.receipt_timeout_s > 0 && p.receipt_timeout_s <= 86'400)) throw WalletError("--timeout must be 0..86400 s");
    p.send.wait_options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(p.receipt_timeout_s * 1000));
    return wallet.send(p.send);
  }
  // mine
  p.mine.to = opt(p.mine_to);
  p.mine.interrupted = &g_interrupted;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGINT, &action, nullptr) != 0 || sigaction(SIGTERM, &action, nullptr) != 0) {
    throw WalletError("cannot install the Ctrl-C handler");
  }
  return wallet.mine(p.mine);
}

int report_error(const Parsed& p, const std::string& message, ExitCode code) {
  std::cerr << "error: " << message << '\n';
  if (p.global.json) {
    std::cout << Json{{"error", {{"message", message}, {"exitCode", static_cast<int>(code)}}}}.dump() << '\n';
  }
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  Parsed p;
  CLI::App app{"tally-wallet: keys, balances, transfers and mining for a Tally node"};
  app.require_subcommand(1);
  // Global options are accepted after the command too ("send ... --rpc URL");
  // subcommands inherit this setting.
  app.fallthrough();
  app.add_option("--rpc", p.global.rpc_url, "Node JSON-RPC URL (default $TALLY_RPC or http://127.0.0.1:8545)");
  app.add_option("--keystore", p.keystore_text, "Keystore folder (default $TALLY_KEYSTORE or ~/.tally/keystore)");
  app.add_option("--password-file", p.password_file, "Read the password from this file's first line");
  app.add_option("--rpc-timeout", p.rpc_timeout_s, "Seconds per node call (default 10)");
  app.add_flag("--json", p.global.json, "Machine-readable output (one JSON document on stdout)");
  add_commands(app, p);
  p.global.rpc_url = default_rpc_url();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  try {
    p.global.keystore_dir = p.keystore_text.empty() ? default_keystore_dir() : std::filesystem::path(p.keystore_text);
    if (!p.password_file.empty()) p.global.password_file = p.password_file;
    if (!(p.rpc_timeout_s > 0 && p.rpc_timeout_s <= 3600)) throw WalletError("--rpc-timeout must be 0..3600 s");
    p.global.rpc_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(p.rpc_timeout_s * 1000));
    if (p.light) p.global.scrypt = tally::crypto::kScryptLight;
    TerminalPrompter prompter;
    Wallet wallet(
        p.global, prompter, [](const GlobalOptions& g) { return make_http_node_client(g.rpc_url, g.rpc_timeout); },
        std::cerr);
    const Json result = run(p, wallet);
    const std::string shown = p.command.starts_with("import") ? "import" : p.command;
    std::cout << (p.global.json ? result.dump() : render_human(shown, result)) << '\n';
    return 0;
  } catch (const WalletError& e) {
    return report_error(p, e.what(), e.code());
  } catch (const std::exception& e) {
    return report_error(p, e.what(), ExitCode::error);
  }
}
