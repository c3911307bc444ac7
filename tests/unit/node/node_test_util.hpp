#pragma once
// A node on a temporary datadir for tests: dev genesis (or a variant), RPC
// and p2p off unless asked, and bounded waiting for conditions.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "../chain/chain_test_util.hpp"
#include "node/node.hpp"

namespace tally::test {

// Polls `condition` every 5 ms until it holds or `limit` passes.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The value of the Prometheus sample `series` (name and labels as written)
// in the text exposition `text`, if present.
inline std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// The dev genesis with some fields changed (e.g. consensus difficulty).
inline std::string dev_genesis_with(const std::function<void(nlohmann::json&)>& edit) {
  auto doc = nlohmann::json::parse(chain::dev_genesis_json());
  edit(doc);
  return doc.dump();
}

class NodeTest : public ::testing::Test {
 protected:
  explicit NodeTest(const std::string& tag) : dir_(tag) {}
  void TearDown() override { node_.reset(); }

  node::NodeConfig base_config() const {
    node::NodeConfig config;
    config.datadir = dir_.path() / "node";
    config.rpc.enabled = false;
    config.p2p.enabled = false;
    config.mining.threads = 1;
    return config;
  }

  // Writes `genesis_json` beside the datadir and points the config at it.
  void use_genesis(node::NodeConfig& config, const std::string& genesis_json) const {
    std::filesystem::create_directories(dir_.path());
    const auto path = dir_.path() / "genesis.json";
    std::ofstream(path) << genesis_json;
    config.genesis_file = path;
  }

  node::Node& start(const node::NodeConfig& config) {
    node_.reset();
    auto opened = node::Node::open(config);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    node_ = std::move(opened).value();
    auto started = node_->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return *node_;
  }

  std::uint64_t head_number() const { return node_->chain().head().number; }
  U256 balance(const Address& address) const {
    auto account = node_->chain().account_at(address, node_->chain().head().hash);
    return account ? account->balance : U256(0);
  }

  TempDir dir_;
  std::unique_ptr<node::Node> node_;
};

}  // namespace tally::test
