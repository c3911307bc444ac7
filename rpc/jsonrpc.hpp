#pragma once
// JSON-RPC 2.0 processing without a transport: a request body in, the
// response body out. The HTTP and WebSocket server (server.hpp) calls this
// for every request; tests and the fuzzer call it directly.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/method.hpp"

namespace tally::rpc {

// At most this many calls in one batch. ethers.js batches at most 100 calls
// by default, so its batches always fit; geth allows 1000, and a bigger
// batch only makes one request hold an I/O thread longer.
inline constexpr std::size_t kDefaultMaxBatch = 100;
// Deeper JSON nesting is refused before parsing (the parser recurses).
inline constexpr std::size_t kMaxJsonDepth = 64;

// Calls and errors of one method (ServerStats::methods).
struct MethodCallCount {
  std::string method;  // a name from the method table, or kOtherMethods
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
};

// Where calls are counted that name no method of the table, or that are
// refused before a method is known (invalid requests, parse errors).
inline constexpr const char* kOtherMethods = "other";

// Counts kept across requests; the server exposes them as metrics.
struct CallCounters {
  CallCounters() = default;
  // Also counts per method of `methods`: the names are fixed here, so the
  // set of counters (and of metric labels) stays bounded whatever clients
  // send.
  explicit CallCounters(const MethodTable& methods);
  CallCounters(const CallCounters&) = delete;
  CallCounters& operator=(const CallCounters&) = delete;

  // Counts one call of `method` (empty: none known). Thread-safe.
  void count(std::string_view method, bool error);
  // The methods called at least once, by name, then kOtherMethods if any.
  std::vector<MethodCallCount> by_method() const;

  std::atomic<std::uint64_t> calls{0};   // calls dispatched or refused, notifications included
  std::atomic<std::uint64_t> errors{0};  // error objects answered (or due, for notifications)

 private:
  struct Counts {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> errors{0};
  };
  std::map<std::string, Counts, std::less<>> methods_;  // built once, never changed
  Counts other_;
  bool per_method_ = false;
};

struct ProcessOptions {
  std::size_t max_batch = kDefaultMaxBatch;
  CallCounters* counters = nullptr;  // optional
  // Where an internal failure of a handler (any exception but RpcError and
  // JSON type errors) is reported; empty: standard error.
  std::function<void(const std::string&)> log;
};

// Processes one request body (a single call or a batch). Returns the
// response body, or nullopt when there is nothing to answer (a
// notification, or a batch of notifications only). Never throws for any
// input; handlers run on the calling thread.
std::optional<std::string> process_request(std::string_view body, CallContext& context, const MethodTable& methods,
                                           const ProcessOptions& options = {});

// {"jsonrpc":"2.0","id":id,"error":{"code":..,"message":..[,"data":..]}}
Json make_error_response(const Json& id, int code, const std::string& message,
                         const std::optional<Json>& data = std::nullopt);
// {"jsonrpc":"2.0","id":id,"result":result}
Json make_result_response(const Json& id, Json result);

// Serializes without throwing: invalid UTF-8 in strings is replaced.
std::string to_body(const Json& message);

// True when nesting of arrays/objects in `text` stays within `max_depth`
// (strings are skipped). Used to refuse input before the recursive parser.
bool nesting_within(std::string_view text, std::size_t max_depth);

}  // namespace tally::rpc
