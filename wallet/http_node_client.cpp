// The real NodeClient: rpc::HttpClient with its errors mapped to the
// wallet's (NodeUnreachable / NodeRefused) so every command reports them the
// same way.

#include <stdexcept>

#include "rpc/client.hpp"
#include "wallet/errors.hpp"
#include "wallet/node_client.hpp"

namespace tally::wallet {
namespace {

class HttpNodeClient final : public NodeClient {
 public:
  HttpNodeClient(const std::string& url, std::chrono::milliseconds timeout)
      : client_(make_client(url, timeout)), url_(url) {}

  Json call(const std::string& method, const Json& params) override {
    try {
      return client_.call(method, params);
    } catch (const rpc::RpcError& e) {
      throw NodeRefused(method, e.code(), e.what());
    } catch (const rpc::TransportError& e) {
      // The transport's message may name the URL already; say it once.
      std::string what = e.what();
      if (const std::string prefix = "cannot connect to " + url_ + ": "; what.starts_with(prefix)) {
        what = what.substr(prefix.size());
      }
      throw NodeUnreachable("cannot reach node at " + url_ + ": " + what +
                            " (is tallyd running? set --rpc or TALLY_RPC)");
    }
  }
  const std::string& url() const override { return url_; }

 private:
  static rpc::HttpClient make_client(const std::string& url, std::chrono::milliseconds timeout) {
    try {
      rpc::ClientOptions options;
      options.timeout = timeout;
      return rpc::HttpClient(url, options);
    } catch (const std::invalid_argument& e) {
      throw WalletError("bad --rpc URL '" + url + "': " + e.what());
    }
  }

  rpc::HttpClient client_;
  std::string url_;
};

}  // namespace

std::unique_ptr<NodeClient> make_http_node_client(const std::string& url, std::chrono::milliseconds timeout) {
  return std::make_unique<HttpNodeClient>(url, timeout);
}

}  // namespace tally::wallet
