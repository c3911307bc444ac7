#pragma once
// How the wallet talks to a node: one JSON-RPC call at a time. The real
// implementation wraps rpc::HttpClient; unit tests plug in a fake. Every
// implementation reports failures as NodeUnreachable (no answer) or
// NodeRefused (a JSON-RPC error), see errors.hpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/bytes.hpp"
#include "crypto/uint256.hpp"

namespace tally::wallet {

using Json = nlohmann::json;

class NodeClient {
 public:
  virtual ~NodeClient() = default;
  // The call's "result". Throws NodeUnreachable or NodeRefused.
  virtual Json call(const std::string& method, const Json& params) = 0;
  virtual const std::string& url() const = 0;
};

// A client for http://host:port[/path]; WalletError for a malformed URL.
std::unique_ptr<NodeClient> make_http_node_client(const std::string& url, std::chrono::milliseconds timeout);

// Readers for the values nodes answer with. A malformed answer is a
// NodeUnreachable-class problem (the other side is not speaking the
// protocol): they throw WalletError naming the method.
U256 quantity_u256(const Json& value, std::string_view method);
std::uint64_t quantity_u64(const Json& value, std::string_view method);
Hash256 hash_value(const Json& value, std::string_view method);

}  // namespace tally::wallet
