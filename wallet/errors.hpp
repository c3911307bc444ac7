#pragma once
// What goes wrong in the wallet, and the process exit code each maps to
// (docs/wallet.md lists them). Commands throw these; main() prints the
// message on one line and exits with the code.

#include <stdexcept>
#include <string>

namespace tally::wallet {

enum class ExitCode : int {
  ok = 0,
  error = 1,        // bad input, unknown account, wrong password, a file problem
  usage = 2,        // the command line itself (reported by CLI11)
  unreachable = 3,  // the node cannot be reached or does not answer JSON-RPC
  refused = 4,      // the node answered with an error (e.g. a refused transaction)
  timeout = 5,      // the transaction was sent but no receipt came in time
};

class WalletError : public std::runtime_error {
 public:
  explicit WalletError(const std::string& message, ExitCode code = ExitCode::error)
      : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

// The node could not be reached (connect, timeout, not JSON-RPC).
class NodeUnreachable : public WalletError {
 public:
  explicit NodeUnreachable(const std::string& message) : WalletError(message, ExitCode::unreachable) {}
};

// The node answered a call with a JSON-RPC error.
class NodeRefused : public WalletError {
 public:
  NodeRefused(const std::string& method, int rpc_code, const std::string& node_message)
      : WalletError("the node refused " + method + ": " + node_message, ExitCode::refused),
        method_(method),
        rpc_code_(rpc_code),
        node_message_(node_message) {}
  const std::string& method() const noexcept { return method_; }
  int rpc_code() const noexcept { return rpc_code_; }
  const std::string& node_message() const noexcept { return node_message_; }

 private:
  std::string method_;
  int rpc_code_;
  std::string node_message_;
};

}  // namespace tally::wallet
