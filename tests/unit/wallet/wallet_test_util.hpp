#pragma once
// Fakes for the wallet's unit tests: a scripted node, a scripted prompter,
// and a temporary folder.

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "wallet/errors.hpp"
#include "wallet/node_client.hpp"
#include "wallet/prompter.hpp"

namespace tally::wallet::test {

// A node that answers each method with a handler; unknown methods get
// "method not found" as a real node would.
class FakeNode final : public NodeClient {
 public:
  using Handler = std::function<Json(const Json& params)>;

  void on(const std::string& method, Handler handler) { handlers_[method] = std::move(handler); }
  void on_value(const std::string& method, Json value) {
    handlers_[method] = [value](const Json&) { return value; };
  }

  Json call(const std::string& method, const Json& params) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({method, params});
    }
    auto it = handlers_.find(method);
    if (it == handlers_.end()) throw NodeRefused(method, -32601, "the method " + method + " does not exist");
    return it->second(params);
  }
  const std::string& url() const override { return url_; }

  std::vector<Json> params_of(const std::string& method) const {
    std::lock_guard lock(mutex_);
    std::vector<Json> out;
    for (const auto& [name, params] : calls_) {
      if (name == method) out.push_back(params);
    }
    return out;
  }
  std::size_t count(const std::string& method) const { return params_of(method).size(); }

 private:
  std::map<std::string, Handler> handlers_;
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Json>> calls_;
  std::string url_ = "http://fake.invalid:8545";
};

class ScriptedPrompter final : public Prompter {
 public:
  std::deque<std::string> secrets;
  std::vector<std::string> prompts;
  bool answer = true;
  bool is_interactive = false;

  std::string secret(const std::string& prompt) override {
    prompts.push_back(prompt);
    if (secrets.empty()) throw WalletError("no " + prompt + " given: standard input ended");
    std::string out = secrets.front();
    secrets.pop_front();
    return out;
  }
  bool confirm(const std::string& /*question*/) override { return answer; }
  bool interactive() const override { return is_interactive; }
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tally-wallet-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tally::wallet::test
