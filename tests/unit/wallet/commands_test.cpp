// The commands end to end against a fake node and a scripted prompter: key
// handling in a real temporary keystore folder, and the --json shapes.

#include "wallet/commands.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/address.hpp"
#include "crypto/hd.hpp"
#include "crypto/hex.hpp"
#include "wallet/errors.hpp"
#include "wallet/render.hpp"
#include "wallet_test_util.hpp"

namespace tally::wallet {
namespace {

using test::FakeNode;
using test::ScriptedPrompter;
using test::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr std::string_view kDevAddress0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr std::string_view kDevAddress1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
constexpr std::string_view kDevKey0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

Json load_vector(const std::string& relative) {
  std::ifstream in(std::string(TALLY_VECTORS_DIR) + "/" + relative);
  if (!in) throw std::runtime_error("missing vector file " + relative);
  return Json::parse(in);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

class WalletTest : public ::testing::Test {
 protected:
  WalletTest() { options_.keystore_dir = tmp_.path() / "keystore"; }

  Wallet make() {
    options_.scrypt = crypto::ScryptParams{16, 8, 1};  // fast KDF for tests
    return Wallet(
        options_, prompter_, [this](const GlobalOptions&) { return std::make_unique<Forward>(node_); }, progress_);
  }

  std::string import_dev_account(Wallet& wallet, std::uint32_t index) {
    write_text(tmp_.path() / "mnemonic.txt", std::string(crypto::kDevMnemonic) + "\n");
    prompter_.secrets.push_back("pw");
    return wallet.import_mnemonic(tmp_.path() / "mnemonic.txt", index, std::nullopt)["address"];
  }

  // Hands calls to the test's FakeNode (the Wallet owns its client).
  struct Forward final : NodeClient {
    explicit Forward(FakeNode& target) : node(target) {}
    Json call(const std::string& method, const Json& params) override { return node.call(method, params); }
    const std::string& url() const override { return node.url(); }
    FakeNode& node;
  };

  TempDir tmp_;
  GlobalOptions options_;
  ScriptedPrompter prompter_;
  FakeNode node_;
  std::ostringstream progress_;
};

TEST_F(WalletTest, NewAccountIsListedAndUnlocks) {
  Wallet wallet = make();
  prompter_.secrets = {"secret"};
  const Json created = wallet.create_account();
  ASSERT_TRUE(created.contains("address"));
  ASSERT_TRUE(created.contains("path"));
  EXPECT_TRUE(crypto::parse_address(created["address"].get<std::string>()).ok());
  const Json listed = wallet.list_accounts();
  EXPECT_EQ(listed["keystore"], options_.keystore_dir.string());
  ASSERT_EQ(listed["accounts"].size(), 1U);
  EXPECT_EQ(listed["accounts"][0]["address"], created["address"]);
  EXPECT_EQ(listed["skipped"], Json::array());
  // The file opens with the password it was written with.
  const std::string text = read_small_file(created["path"].get<std::string>(), 65536);
  EXPECT_TRUE(crypto::decrypt_keystore(text, "secret").ok());
  EXPECT_FALSE(crypto::decrypt_keystore(text, "other").ok());
}

TEST_F(WalletTest, InteractiveNewPasswordMustBeRepeated) {
  Wallet wallet = make();
  prompter_.is_interactive = true;
  prompter_.secrets = {"one", "two"};
  EXPECT_THROW((void)wallet.create_account(), WalletError);
  EXPECT_EQ(wallet.list_accounts()["accounts"].size(), 0U);
}

TEST_F(WalletTest, PasswordFileFirstLine) {
  write_text(tmp_.path() / "pw.txt", "from file\nignored\n");
  options_.password_file = tmp_.path() / "pw.txt";
  Wallet wallet = make();
  const Json created = wallet.create_account();
  EXPECT_TRUE(prompter_.prompts.empty());
  const std::string text = read_small_file(created["path"].get<std::string>(), 65536);
  EXPECT_TRUE(crypto::decrypt_keystore(text, "from file").ok());
}

TEST_F(WalletTest, ImportDevMnemonicGivesTheHardhatAccounts) {
  Wallet wallet = make();
  EXPECT_EQ(import_dev_account(wallet, 0), kDevAddress0);
  const Json second = [&] {
    prompter_.secrets.push_back("pw");
    return wallet.import_mnemonic(tmp_.path() / "mnemonic.txt", 0, std::string("m/44'/60'/0'/0/1"));
  }();
  EXPECT_EQ(second["address"], kDevAddress1);
  EXPECT_EQ(second["derivationPath"], "m/44'/60'/0'/0/1");
  // The same key twice is refused, before any password is asked.
  prompter_.prompts.clear();
  EXPECT_THROW((void)wallet.import_mnemonic(tmp_.path() / "mnemonic.txt", 1, std::nullopt), WalletError);
  EXPECT_TRUE(prompter_.prompts.empty());
}

TEST_F(WalletTest, ImportMnemonicFromThePromptWithExtraSpaces) {
  Wallet wallet = make();
  prompter_.secrets = {"  test test test test test  test test test test test test junk ", "pw"};
  EXPECT_EQ(wallet.import_mnemonic(std::nullopt, 0, std::nullopt)["address"], kDevAddress0);
}

TEST_F(WalletTest, BadMnemonicAndPath) {
  Wallet wallet = make();
  prompter_.secrets = {"test test test test test test test test test test test test"};
  EXPECT_THROW((void)wallet.import_mnemonic(std::nullopt, 0, std::nullopt), WalletError);  // checksum
  prompter_.secrets = {std::string(crypto::kDevMnemonic)};
  EXPECT_THROW((void)wallet.import_mnemonic(std::nullopt, 0, std::string("m/44'/x")), WalletError);
}

TEST_F(WalletTest, ImportRawKeyFromFileOrPrompt) {
  Wallet wallet = make();
  write_text(tmp_.path() / "key.txt", "0x" + std::string(kDevKey0) + "\n");
  prompter_.secrets = {"pw"};
  EXPECT_EQ(wallet.import_private_key(tmp_.path() / "key.txt")["address"], kDevAddress0);
  TempDir other;
  options_.keystore_dir = other.path();
  Wallet second = make();
  prompter_.secrets = {std::string(kDevKey0), "pw"};
  EXPECT_EQ(second.import_private_key(std::nullopt)["address"], kDevAddress0);
  prompter_.secrets = {"1234"};
  EXPECT_THROW((void)second.import_private_key(std::nullopt), WalletError);
  prompter_.secrets = {std::string(64, '0')};
  EXPECT_THROW((void)second.import_private_key(std::nullopt), WalletError);
}

TEST_F(WalletTest, ImportKeystoreFromOtherToolsAddsTheAddress) {
  Wallet wallet = make();
  const Json vector = load_vector("keystore/v3_test_vector.json")["wikipage_test_vector_pbkdf2"];
  write_text(tmp_.path() / "wiki.json", vector["json"].dump());
  prompter_.secrets = {"wrong"};
  EXPECT_THROW((void)wallet.import_keystore(tmp_.path() / "wiki.json"), WalletError);
  EXPECT_EQ(wallet.list_accounts()["accounts"].size(), 0U);
  prompter_.secrets = {"testpassword"};
  const Json imported = wallet.import_keystore(tmp_.path() / "wiki.json");
  EXPECT_EQ(imported["address"], "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b");
  // Same KDF and password as the original; now with its address.
  const Json stored = Json::parse(read_small_file(imported["path"].get<std::string>(), 65536));
  EXPECT_EQ(stored["crypto"]["kdf"], "pbkdf2");
  EXPECT_EQ(stored["address"], "008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
  EXPECT_EQ(wallet.list_accounts()["accounts"].size(), 1U);
}

TEST_F(WalletTest, ExportChecksThePasswordAndNeverOverwrites) {
  Wallet wallet = make();
  const std::string address = import_dev_account(wallet, 0);
  prompter_.secrets = {"bad"};
  EXPECT_THROW((void)wallet.export_account(address, tmp_.path() / "out.json"), WalletError);
  EXPECT_FALSE(fs::exists(tmp_.path() / "out.json"));
  prompter_.secrets = {"pw"};
  const Json exported = wallet.export_account(address, tmp_.path() / "out.json");
  EXPECT_EQ(exported["address"], address);
  EXPECT_EQ(exported["path"], (tmp_.path() / "out.json").string());
  EXPECT_TRUE(crypto::decrypt_keystore(read_small_file(tmp_.path() / "out.json", 65536), "pw").ok());
  prompter_.secrets = {"pw"};
  EXPECT_THROW((void)wallet.export_account(address, tmp_.path() / "out.json"), WalletError);
  prompter_.secrets = {"pw"};
  EXPECT_EQ(wallet.export_account(address, std::nullopt)["keystore"]["version"], 3);
}

TEST_F(WalletTest, UnknownAccountAndBadChecksum) {
  Wallet wallet = make();
  try {
    (void)wallet.resolve_account(std::string(kDevAddress1));
    FAIL() << "unknown account accepted";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown account 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
  }
  try {
    (void)wallet.resolve_account("0x70997970C51812dc3A010C7d01b50e0d17dc79c8");  // last letter's case flipped
    FAIL() << "bad checksum accepted";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad account address"));
  }
  EXPECT_THROW((void)wallet.resolve_account("0x1234"), WalletError);
}

TEST_F(WalletTest, BalanceShape) {
  Wallet wallet = make();
  (void)import_dev_account(wallet, 0);
  node_.on_value("eth_getBalance", "0x14d1120d7b160000");
  node_.on_value("eth_getTransactionCount", "0x3");
  const Json all = wallet.balance(std::nullopt, "latest");
  EXPECT_EQ(all, (Json{{"block", "latest"},
                       {"accounts",
                        {{{"address", kDevAddress0},
                          {"balance", {{"wei", "1500000000000000000"}, {"ether", "1.5"}}},
                          {"nonce", 3}}}}}));
  const Json one = wallet.balance(std::string(kDevAddress1), "12");
  EXPECT_EQ(one["accounts"][0]["address"], kDevAddress1);
  EXPECT_EQ(node_.params_of("eth_getBalance").back(),
            Json::array({"0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0xc"}));
  EXPECT_THROW((void)wallet.balance(std::nullopt, "yesterday"), WalletError);
  EXPECT_THAT(render_human("balance", all), HasSubstr("1.5 ether (1500000000000000000 wei)  nonce 3"));
}

TEST_F(WalletTest, UnreachableNodeIsReportedAsSuch) {
  Wallet wallet = make();
  node_.on("eth_getBalance", [](const Json&) -> Json {
    throw NodeUnreachable("cannot reach node at http://127.0.0.1:1: connection refused");
  });
  try {
    (void)wallet.balance(std::string(kDevAddress0), "latest");
    FAIL() << "no error";
  } catch (const WalletError& e) {
    EXPECT_EQ(e.code(), ExitCode::unreachable);
    EXPECT_THAT(e.what(), HasSubstr("cannot reach node at"));
  }
}

void answer_send(FakeNode& node) {
  node.on_value("eth_chainId", "0x539");
  node.on_value("eth_getTransactionCount", "0x0");
  node.on_value("eth_maxPriorityFeePerGas", "0x3b9aca00");
  node.on_value("eth_feeHistory", Json{{"baseFeePerGas", {"0x3b9aca00", "0x3b9aca00"}}});
  node.on_value("eth_estimateGas", "0x5208");
  node.on("eth_sendRawTransaction", [](const Json& params) -> Json {
    auto tx = chain::decode(*from_hex(params[0].get<std::string>(), HexPrefix::required));
    return to_hex_prefixed(chain::tx_hash(*tx));
  });
  node.on("eth_getTransactionReceipt", [](const Json& params) -> Json {
    return Json{{"transactionHash", params[0]}, {"blockHash", to_hex_prefixed(Hash256{5})}, {"blockNumber", "0x7"},
                {"gasUsed", "0x5208"},          {"effectiveGasPrice", "0x77359400"},        {"status", "0x1"}};
  });
}

TEST_F(WalletTest, SendShapeAndSignature) {
  Wallet wallet = make();
  const std::string from = import_dev_account(wallet, 0);
  answer_send(node_);
  SendOptions send;
  send.from = from;
  send.to = std::string(kDevAddress1);
  send.value = "1.5";
  send.data = "hello";
  send.yes = true;
  node_.on_value("eth_estimateGas", "0x5258");  // 21000 + 5 data bytes * 16
  prompter_.secrets = {"pw"};
  const Json result = wallet.send(send);
  EXPECT_EQ(result["from"], kDevAddress0);
  EXPECT_EQ(result["to"], kDevAddress1);
  EXPECT_EQ(result["value"], (Json{{"wei", "1500000000000000000"}, {"ether", "1.5"}}));
  EXPECT_EQ(result["type"], "eip1559");
  EXPECT_EQ(result["chainId"], 1337);
  EXPECT_EQ(result["nonce"], 0);
  EXPECT_EQ(result["maxFeePerGas"], "3000000000");
  EXPECT_EQ(result["maxPriorityFeePerGas"], "1000000000");
  EXPECT_EQ(result["data"], "0x68656c6c6f");
  EXPECT_EQ(result["status"], "success");
  EXPECT_EQ(result["blockNumber"], 7);
  EXPECT_EQ(result["gasUsed"], 21000);
  EXPECT_EQ(result["fee"], (Json{{"wei", "42000000000000"}, {"ether", "0.000042"}}));
  EXPECT_EQ(result["hash"].get<std::string>().size(), 66U);
  auto raw = from_hex(node_.params_of("eth_sendRawTransaction").at(0)[0].get<std::string>(), HexPrefix::required);
  auto tx = chain::decode(*raw);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(crypto::to_checksum_address(*chain::recover_sender(*tx)), kDevAddress0);
  EXPECT_THAT(render_human("send", result), HasSubstr("fee paid: 0.000042 ether"));
}

TEST_F(WalletTest, SendRefusals) {
  Wallet wallet = make();
  const std::string from = import_dev_account(wallet, 0);
  answer_send(node_);
  SendOptions send;
  send.from = from;
  send.to = std::string(kDevAddress1);
  send.value = "1.0000000000000000001";
  prompter_.prompts.clear();
  EXPECT_THROW((void)wallet.send(send), WalletError);  // too many decimals, before any password
  EXPECT_TRUE(prompter_.prompts.empty());
  send.value = "1";
  prompter_.secrets = {"wrong"};
  try {
    (void)wallet.send(send);
    FAIL() << "wrong password accepted";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("wrong password or corrupt keystore"));
  }
  EXPECT_EQ(node_.count("eth_sendRawTransaction"), 0U);
  // Not confirmed: nothing sent.
  prompter_.secrets = {"pw"};
  prompter_.answer = false;
  EXPECT_THROW((void)wallet.send(send), WalletError);
  EXPECT_EQ(node_.count("eth_sendRawTransaction"), 0U);
  EXPECT_THAT(progress_.str(), HasSubstr("Send 1 ether"));
  // The node's refusal comes through with its message.
  prompter_.secrets = {"pw"};
  prompter_.answer = true;
  node_.on("eth_sendRawTransaction", [](const Json&) -> Json {
    throw NodeRefused("eth_sendRawTransaction", -32000, "nonce too low: next nonce 4, tx nonce 0");
  });
  try {
    (void)wallet.send(send);
    FAIL() << "refusal hidden";
  } catch (const WalletError& e) {
    EXPECT_EQ(e.code(), ExitCode::refused);
    EXPECT_THAT(e.what(), HasSubstr("nonce too low"));
  }
}

TEST_F(WalletTest, SendWithoutWaiting) {
  Wallet wallet = make();
  const std::string from = import_dev_account(wallet, 0);
  answer_send(node_);
  SendOptions send;
  send.from = from;
  send.to = std::string(kDevAddress1);
  send.value = "21000wei";
  send.legacy = true;
  send.gas_price = "2";
  send.yes = true;
  send.wait = false;
  prompter_.secrets = {"pw"};
  const Json result = wallet.send(send);
  EXPECT_EQ(result["status"], "pending");
  EXPECT_EQ(result["type"], "legacy");
  EXPECT_EQ(result["gasPrice"], "2000000000");
  EXPECT_EQ(node_.count("eth_getTransactionReceipt"), 0U);
}

TEST_F(WalletTest, TransactionShape) {
  Wallet wallet = make();
  answer_send(node_);
  const std::string hash = "0x" + std::string(64, 'a');
  node_.on_value("eth_getTransactionByHash", Json{{"hash", hash},
                                                  {"from", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
                                                  {"to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"},
                                                  {"value", "0xde0b6b3a7640000"},
                                                  {"nonce", "0x1"},
                                                  {"gas", "0x5208"},
                                                  {"type", "0x2"},
                                                  {"input", "0x"}});
  const Json mined = wallet.transaction(hash);
  EXPECT_EQ(mined["status"], "success");
  EXPECT_EQ(mined["from"], kDevAddress0);
  EXPECT_EQ(mined["to"], kDevAddress1);
  EXPECT_EQ(mined["value"]["ether"], "1");
  EXPECT_EQ(mined["type"], "eip1559");
  EXPECT_EQ(mined["blockNumber"], 7);
  EXPECT_FALSE(mined.contains("data"));
  node_.on_value("eth_getTransactionReceipt", Json());
  EXPECT_EQ(wallet.transaction(hash)["status"], "pending");
  node_.on_value("eth_getTransactionByHash", Json());
  EXPECT_EQ(wallet.transaction(hash), (Json{{"hash", hash}, {"status", "unknown"}}));
  EXPECT_THROW((void)wallet.transaction("0x1234"), WalletError);
}

TEST_F(WalletTest, MineShapeAndDefaultBeneficiary) {
  Wallet wallet = make();
  EXPECT_THROW((void)wallet.mine(MineCommandOptions{}), WalletError);  // no account, no --to
  (void)import_dev_account(wallet, 0);
  std::uint64_t head = 0;
  Hash256 easy;
  easy.fill(0xff);
  node_.on("eth_blockNumber", [&](const Json&) { return Json(u256_to_quantity(U256(head))); });
  node_.on("eth_getWork", [&](const Json& params) {
    EXPECT_EQ(params, Json::array({"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"}));
    return Json::array({to_hex_prefixed(Hash256{static_cast<std::uint8_t>(head)}), to_hex_prefixed(Hash256{}),
                        to_hex_prefixed(easy), u256_to_quantity(U256(head + 1))});
  });
  node_.on("eth_submitWork", [&](const Json&) {
    ++head;
    return Json(true);
  });
  MineCommandOptions options;
  options.blocks = 2;
  options.threads = 2;
  options.poll_interval = std::chrono::milliseconds(1);
  const Json result = wallet.mine(options);
  EXPECT_EQ(result["beneficiary"], kDevAddress0);
  EXPECT_EQ(result["found"], 2);
  EXPECT_EQ(result["rejected"], 0);
  EXPECT_EQ(result["blockNumbers"], Json::array({1, 2}));
  EXPECT_EQ(result["interrupted"], false);
  EXPECT_TRUE(result["hashes"].is_number_unsigned());
  EXPECT_TRUE(result["hashRate"].is_number());
  EXPECT_TRUE(result["seconds"].is_number());
  options.threads = 0;
  EXPECT_THROW((void)wallet.mine(options), WalletError);
}

TEST(WalletArgs, FeeArgumentsDefaultToGwei) {
  EXPECT_EQ(parse_fee_arg("2", "--max-fee"), U256(2'000'000'000));
  EXPECT_EQ(parse_fee_arg("1.5", "--max-fee"), U256(1'500'000'000));
  EXPECT_EQ(parse_fee_arg("7wei", "--max-fee"), U256(7));
  EXPECT_EQ(parse_fee_arg("0.001ether", "--max-fee"), U256(1'000'000'000'000'000));
  EXPECT_THROW((void)parse_fee_arg("-1", "--max-fee"), WalletError);
  EXPECT_THROW((void)parse_fee_arg("0.0000000001", "--max-fee"), WalletError);
}

}  // namespace
}  // namespace tally::wallet
