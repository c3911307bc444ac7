// Fuzz target for JSON-RPC request processing: any bytes as a request body
// must give either no answer or a valid JSON-RPC response (an object, or a
// non-empty array of objects), never a crash, whatever the handlers throw.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "rpc/jsonrpc.hpp"

namespace {

using tally::rpc::Access;
using tally::rpc::CallContext;
using tally::rpc::Json;
using tally::rpc::MethodTable;

MethodTable make_methods() {
  MethodTable table;
  table.add("echo", Access::open, [](const Json& params, CallContext&) { return params; });
  table.add("add", Access::open, [](const Json& params, CallContext&) {
    return Json(params.at(0).get<std::int64_t>() + params.at(1).get<std::int64_t>());
  });
  table.add("field", Access::open, [](const Json& params, CallContext&) { return params.at("key"); });
  table.add("fail", Access::open, [](const Json&, CallContext&) -> Json { throw std::runtime_error("failed"); });
  table.add("admin", Access::admin, [](const Json&, CallContext&) { return Json(true); });
  return table;
}

bool is_response(const Json& message) {
  if (!message.is_object() || message.value("jsonrpc", "") != "2.0" || !message.contains("id")) return false;
  if (message.contains("result") == message.contains("error")) return false;
  if (message.contains("error")) {
    const auto& error = message["error"];
    return error.is_object() && error.contains("code") && error["code"].is_number_integer() &&
           error.contains("message") && error["message"].is_string();
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const MethodTable methods = make_methods();
  tally::rpc::ProcessOptions options;
  options.max_batch = 8;
  options.log = [](const std::string&) {};
  CallContext context;
  const std::string_view body(reinterpret_cast<const char*>(data), size);  // NOLINT
  const auto response = tally::rpc::process_request(body, context, methods, options);
  if (!response) return 0;
  const Json parsed = Json::parse(*response, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) std::abort();
  if (parsed.is_array()) {
    if (parsed.empty()) std::abort();
    for (const auto& item : parsed) {
      if (!is_response(item)) std::abort();
    }
  } else if (!is_response(parsed)) {
    std::abort();
  }
  return 0;
}
