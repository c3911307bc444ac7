// Four PBFT validators in one process (each a whole Node with its own
// datadir, p2p on 127.0.0.1, fully meshed, no discovery), and full nodes that
// follow them by checking commit certificates.

#include <fstream>

#include "chain/transaction.hpp"
#include "consensus/pbft/engine.hpp"
#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "node_test_util.hpp"

namespace tally::test {
namespace {

constexpr std::size_t kValidators = 4;

class PbftNodeTest : public ::testing::Test {
 protected:
  PbftNodeTest() : dir_("pbft-node") {
    std::filesystem::create_directories(dir_.path());
    nlohmann::json validators = nlohmann::json::array();
    for (std::size_t i = 0; i < kValidators; ++i) {
      Hash256 seed{};
      seed[31] = static_cast<std::uint8_t>(i + 1);
      seed[0] = 0x5e;
      keys_.push_back(crypto::private_key_from_bytes(seed).value());
      validators.push_back(crypto::to_checksum_address(crypto::address_of(crypto::public_key_of(keys_.back()))));
      std::ofstream(key_file(i)) << to_hex(keys_.back().bytes) << "\n";
    }
    const auto genesis = dev_genesis_with([&](nlohmann::json& doc) {
      doc["consensus"] = {{"type", "pbft"}, {"validators", validators}, {"timeoutMs", 1'000}, {"blockReward", "0"}};
    });
    std::ofstream(dir_.path() / "genesis.json") << genesis;
  }
  void TearDown() override {
    for (auto& node : nodes_) node.reset();
  }

  std::filesystem::path key_file(std::size_t i) const { return dir_.path() / ("v" + std::to_string(i) + ".key"); }

  node::NodeConfig config(const std::string& name, const std::vector<std::string>& peers) const {
    node::NodeConfig config;
    config.datadir = dir_.path() / name;
    config.genesis_file = dir_.path() / "genesis.json";
    config.rpc.enabled = false;
    config.p2p.port = 0;
    config.p2p.peers = peers;
    config.p2p.discovery = false;
    config.p2p.backoff_max_ms = 1'000;
    config.pbft.idle_block_ms = 0;  // blocks only for transactions: every height is the test's doing
    return config;
  }

  static std::unique_ptr<node::Node> open(const node::NodeConfig& config) {
    auto node = node::Node::open(config);
    EXPECT_TRUE(node.ok()) << (node.ok() ? "" : node.error().message);
    if (!node.ok()) return nullptr;
    auto started = (*node)->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    if (!started.ok()) return nullptr;
    return std::move(*node);
  }

  static std::string address_of(const node::Node& node) { return "127.0.0.1:" + std::to_string(node.p2p_port()); }

  // Validator i, dialling every running validator.
  std::unique_ptr<node::Node> open_validator(std::size_t i) {
    std::vector<std::string> peers;
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
      if (j != i && nodes_[j]) peers.push_back(address_of(*nodes_[j]));
    }
    auto cfg = config("v" + std::to_string(i), peers);
    cfg.pbft.validator_key = key_file(i);
    return open(cfg);
  }

  void start_all() {
    nodes_.resize(kValidators);
    for (std::size_t i = 0; i < kValidators; ++i) {
      nodes_[i] = open_validator(i);
      ASSERT_TRUE(nodes_[i]);
    }
    ASSERT_TRUE(wait_until([&] {
      for (const auto& node : nodes_) {
        if (node->host()->peer_count() != kValidators - 1) return false;
      }
      return true;
    })) << "validators did not mesh";
  }

  std::vector<node::Node*> running() {
    std::vector<node::Node*> out;
    for (auto& node : nodes_) {
      if (node) out.push_back(node.get());
    }
    return out;
  }

  // The transaction is in a final block on every node in `nodes`.
  static bool final_everywhere(const std::vector<node::Node*>& nodes, const Hash256& tx) {
    for (auto* node : nodes) {
      const auto location = node->chain().store().tx_location(tx);
      if (!location) return false;
      const auto header = node->chain().store().header(location->block_hash);
      if (!header || node->chain().finalized_number() < header->number) return false;
    }
    return true;
  }

  // Every node in `nodes` holds the same canonical chain up to the lowest
  // head, each block with a certificate that verifies.
  static void expect_one_certified_chain(const std::vector<node::Node*>& nodes) {
    std::uint64_t lowest = UINT64_MAX;
    for (auto* node : nodes) lowest = std::min(lowest, node->chain().head().number);
    for (std::uint64_t n = 1; n <= lowest; ++n) {
      const auto hash = nodes[0]->chain().store().canonical_hash(n);
      ASSERT_TRUE(hash.has_value()) << n;
      for (auto* node : nodes) {
        EXPECT_EQ(node->chain().store().canonical_hash(n), hash) << "two blocks at height " << n;
        const auto header = node->chain().store().header(*hash);
        const auto certificate = node->chain().store().finality_certificate(*hash);
        ASSERT_TRUE(header && certificate) << "no certificate for block " << n;
        EXPECT_TRUE(node->chain().engine().verify_finality(*header, *certificate).ok()) << n;
      }
    }
  }

  Hash256 send(node::Node& node, std::uint64_t nonce) {
    const auto tx = transfer(0, Address{0x42}, ether(), nonce);
    auto submitted = node.pool_service().submit(tx);
    EXPECT_TRUE(submitted.ok()) << (submitted.ok() ? "" : submitted.error().message);
    return chain::tx_hash(tx);
  }

  TempDir dir_;
  std::vector<crypto::PrivateKey> keys_;
  std::vector<std::unique_ptr<node::Node>> nodes_;
};

TEST_F(PbftNodeTest, TransferIsFinalOnAllFourWithOneCertifiedChain) {
  start_all();
  const auto tx = send(*nodes_[1], 0);
  ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), tx); }));
  expect_one_certified_chain(running());
  for (auto* node : running()) {
    EXPECT_EQ(node->chain().account_at(Address{0x42}, node->chain().head().hash)->balance, ether());
    const auto status = node->api().info->consensus_status();
    EXPECT_EQ(status.engine, "pbft");
    EXPECT_EQ(status.validators.size(), kValidators);
    EXPECT_GE(status.last_final, 1U);
    ASSERT_NE(node->pbft(), nullptr);
    EXPECT_FALSE(node->pbft()->halted());
  }
  for (std::size_t i = 0; i < kValidators; ++i) {
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / ("v" + std::to_string(i)) / "pbft_state.rlp")) << i;
  }
  // The PoW miner has nothing to do here, and says why.
  auto work = nodes_[0]->miner().get_work(Address{0xaa});
  ASSERT_FALSE(work.ok());
  EXPECT_NE(work.error().message.find("PBFT"), std::string::npos) << work.error().message;
  EXPECT_FALSE(nodes_[0]->miner().start(std::nullopt).ok());
}

TEST_F(PbftNodeTest, StoppedValidatorDoesNotStopTheOthersAndRestartsWithoutEquivocating) {
  start_all();
  const auto first = send(*nodes_[0], 0);
  ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), first); }));

  // One of four stops: three are a quorum and go on, through view changes
  // whenever the stopped one is the primary.
  nodes_[3].reset();
  Hash256 last{};
  for (std::uint64_t nonce = 1; nonce <= 4; ++nonce) {
    last = send(*nodes_[nonce % 3], nonce);
    ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), last); })) << "nonce " << nonce;
  }
  const auto head_while_down = nodes_[0]->chain().head().number;
  EXPECT_GE(head_while_down, 5U);
  // Over these heights every validator was primary once at view 0, the
  // stopped one too: the others changed view (and count it for metrics).
  for (auto* node : running()) EXPECT_GE(node->pbft()->view_changes(), 1U);

  // Restarted from its datadir, it catches up by certified sync and takes
  // part again.
  nodes_[3] = open_validator(3);
  ASSERT_TRUE(nodes_[3]);
  ASSERT_TRUE(wait_until([&] { return nodes_[3]->chain().head().number >= head_while_down; }))
      << "restarted validator at " << nodes_[3]->chain().head().number;
  for (std::uint64_t nonce = 5; nonce <= 8; ++nonce) {
    last = send(*nodes_[3], nonce);
    ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), last); })) << "nonce " << nonce;
  }
  expect_one_certified_chain(running());
  for (auto* node : running()) EXPECT_FALSE(node->pbft()->halted());
}

TEST_F(PbftNodeTest, FullNodeFollowsByCertificatesAndRefusesABadOne) {
  start_all();
  const auto tx0 = send(*nodes_[0], 0);
  ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), tx0); }));
  const auto tx1 = send(*nodes_[2], 1);
  ASSERT_TRUE(wait_until([&] { return final_everywhere(running(), tx1); }));

  // A full node (no validator key) syncs the certified chain.
  std::vector<std::string> peers;
  for (auto* node : running()) peers.push_back(address_of(*node));
  auto follower = open(config("follower", peers));
  ASSERT_TRUE(follower);
  EXPECT_EQ(follower->pbft(), nullptr);
  ASSERT_TRUE(wait_until([&] {
    return follower->chain().head().number >= 2 &&
           follower->chain().finalized_number() == follower->chain().head().number;
  }));
  auto with_follower = running();
  with_follower.push_back(follower.get());
  expect_one_certified_chain(with_follower);
  EXPECT_EQ(follower->api().info->consensus_status().engine, "pbft");

  // A node offline from p2p is handed block 1 with the certificate of
  // block 2: refused, nothing imported; the right one is accepted.
  auto offline_config = config("offline", {});
  offline_config.p2p.enabled = false;
  auto offline = open(offline_config);
  ASSERT_TRUE(offline);
  const auto& store = nodes_[0]->chain().store();
  const auto block1 = store.block(*store.canonical_hash(1));
  const auto hash1 = *store.canonical_hash(1);
  const auto wrong = store.finality_certificate(*store.canonical_hash(2));
  const auto right = store.finality_certificate(hash1);
  ASSERT_TRUE(block1 && wrong && right);
  auto* intake = offline->certified_blocks();
  ASSERT_NE(intake, nullptr);
  intake->on_block(0, *block1);
  intake->on_certificates(0, {p2p::CertificateEntry{hash1, *wrong}});
  // The import task was queued before this marker: once the marker ran,
  // the certificate has been judged.
  std::promise<void> judged;
  offline->importer().post([&] { judged.set_value(); });
  ASSERT_EQ(judged.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(offline->chain().head().number, 0U);
  EXPECT_EQ(intake->pending(), 1U);  // kept: its certificate is asked for again
  // A forged certificate (signatures cut off) is refused too.
  Bytes truncated = *right;
  truncated.resize(truncated.size() - 70);
  intake->on_certificates(0, {p2p::CertificateEntry{hash1, truncated}});
  std::promise<void> judged_again;
  offline->importer().post([&] { judged_again.set_value(); });
  ASSERT_EQ(judged_again.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(offline->chain().head().number, 0U);

  intake->on_certificates(0, {p2p::CertificateEntry{hash1, *right}});
  ASSERT_TRUE(wait_until([&] { return offline->chain().finalized_number() == 1; }));
  EXPECT_EQ(offline->chain().head().hash, hash1);
  EXPECT_EQ(offline->chain().store().finality_certificate(hash1), right);
  offline.reset();
  follower.reset();
}

TEST_F(PbftNodeTest, ValidatorKeyOutsideTheSetIsRefused) {
  const auto stranger = dir_.path() / "stranger.key";
  Hash256 seed{};
  seed[31] = 0x77;
  std::ofstream(stranger) << to_hex(seed) << "\n";
  auto cfg = config("stranger", {});
  cfg.pbft.validator_key = stranger;
  auto node = node::Node::open(cfg);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("not a validator"), std::string::npos) << node.error().message;
}

}  // namespace
}  // namespace tally::test
