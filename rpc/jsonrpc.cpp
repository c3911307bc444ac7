#include "rpc/jsonrpc.hpp"

#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

namespace tally::rpc {

namespace {

// A parsed call, or the error that refuses it before dispatch.
struct Call {
  Json id;  // null when absent
  bool notification = false;
  std::optional<Json> refusal;  // a complete error response
};

void count(const ProcessOptions& options, bool error, std::string_view method = {}) {
  if (options.counters != nullptr) options.counters->count(method, error);
}

void log_internal(const ProcessOptions& options, const std::string& message) {
  if (options.log) {
    options.log(message);
  } else {
    std::fprintf(stderr, "rpc: %s\n", message.c_str());
  }
}

// nlohmann's messages start with "[json.exception.type_error.302] ": the
// client needs only the words after it.
std::string strip_json_prefix(const char* what) {
  std::string text(what);
  if (!text.empty() && text.front() == '[') {
    const auto end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

bool valid_id(const Json& id) {
  return id.is_string() || id.is_number() || id.is_null();
}

// Runs a method, turning whatever it throws into an error response.
Json invoke(const std::string& name, const Method& method, const Json& params, const Json& id, CallContext& context,
            const ProcessOptions& options) {
  try {
    return make_result_response(id, method.handler(params, context));
  } catch (const RpcError& e) {
    return make_error_response(id, e.code(), e.what(), e.data());
  } catch (const Json::type_error& e) {
    return make_error_response(id, code::kInvalidParams, "invalid params: " + strip_json_prefix(e.what()));
  } catch (const Json::out_of_range& e) {
    return make_error_response(id, code::kInvalidParams, "invalid params: " + strip_json_prefix(e.what()));
  } catch (const std::exception& e) {
    log_internal(options, "method " + name + " failed: " + e.what());
    return make_error_response(id, code::kInternal, std::string("internal error: ") + e.what());
  } catch (...) {
    log_internal(options, "method " + name + " failed with a non-standard exception");
    return make_error_response(id, code::kInternal, "internal error");
  }
}

// Checks the envelope of one call: an error response when it is not a
// valid JSON-RPC 2.0 request.
std::optional<Json> check_envelope(const Json& request, const Json& id) {
  if (!request.is_object()) {
    return make_error_response(nullptr, code::kInvalidRequest, "invalid request: expected a JSON object");
  }
  if (!valid_id(id)) {
    return make_error_response(nullptr, code::kInvalidRequest, "invalid request: id must be a string, number or null");
  }
  const auto version = request.find("jsonrpc");
  if (version == request.end() || !version->is_string() || *version != "2.0") {
    return make_error_response(id, code::kInvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  const auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return make_error_response(id, code::kInvalidRequest, "invalid request: \"method\" must be a string");
  }
  const auto params = request.find("params");
  if (params != request.end() && !params->is_array() && !params->is_object() && !params->is_null()) {
    return make_error_response(id, code::kInvalidRequest, "invalid request: \"params\" must be an array or an object");
  }
  return std::nullopt;
}

// Processes one call; nullopt for a notification.
std::optional<Json> process_call(const Json& request, CallContext& context, const MethodTable& methods,
                                 const ProcessOptions& options) {
  const bool has_id = request.is_object() && request.contains("id");
  const Json id = has_id ? request["id"] : Json(nullptr);
  if (auto refusal = check_envelope(request, id)) {
    count(options, true);
    return refusal;  // an invalid request is answered even without an id
  }
  const auto& name = request["method"].get_ref<const std::string&>();
  const auto params_it = request.find("params");
  const Json params = (params_it == request.end() || params_it->is_null()) ? Json::array() : *params_it;

  Json response;
  const Method* method = methods.find(name);
  if (method == nullptr || !method->handler) {
    response =
        make_error_response(id, code::kMethodNotFound, "the method " + name + " does not exist/is not available");
  } else if (method->access == Access::admin && !context.admin) {
    response = make_error_response(id, code::kUnauthorized,
                                   "unauthorized: " + name +
                                       " is an admin method; call it over a loopback-bound server or send the "
                                       "header \"Authorization: Bearer <token>\" with the token from the node's "
                                       "datadir (rpc.token)");
  } else {
    response = invoke(name, *method, params, id, context, options);
  }
  count(options, response.contains("error"), name);
  if (!has_id) return std::nullopt;
  return response;
}

std::optional<Json> process_batch(const Json& batch, CallContext& context, const MethodTable& methods,
                                  const ProcessOptions& options) {
  if (batch.empty()) {
    count(options, true);
    return make_error_response(nullptr, code::kInvalidRequest, "invalid request: empty batch");
  }
  if (batch.size() > options.max_batch) {
    count(options, true);
    // As geth: one error in an array, carrying the id of the first call so
    // a client that matches replies by id can report it.
    Json id = nullptr;
    for (const auto& request : batch) {
      if (request.is_object() && request.contains("id") && valid_id(request["id"])) {
        id = request["id"];
        break;
      }
    }
    return Json::array({make_error_response(id, code::kLimitExceeded,
                                            "batch too large: " + std::to_string(batch.size()) + " calls, at most " +
                                                std::to_string(options.max_batch) + " per batch")});
  }
  Json responses = Json::array();
  for (const auto& request : batch) {
    if (auto response = process_call(request, context, methods, options)) responses.push_back(std::move(*response));
  }
  if (responses.empty()) return std::nullopt;
  return responses;
}

}  // namespace

CallCounters::CallCounters(const MethodTable& methods) : per_method_(true) {
  for (const auto& name : methods.names()) {
    if (name != kOtherMethods) methods_.try_emplace(name);
  }
}

void CallCounters::count(std::string_view method, bool error) {
  calls.fetch_add(1, std::memory_order_relaxed);
  if (error) errors.fetch_add(1, std::memory_order_relaxed);
  if (!per_method_) return;
  const auto it = methods_.find(method);
  Counts& counts = it == methods_.end() ? other_ : it->second;
  counts.calls.fetch_add(1, std::memory_order_relaxed);
  if (error) counts.errors.fetch_add(1, std::memory_order_relaxed);
}

std::vector<MethodCallCount> CallCounters::by_method() const {
  std::vector<MethodCallCount> out;
  auto add = [&out](const std::string& name, const Counts& counts) {
    const auto called = counts.calls.load(std::memory_order_relaxed);
    if (called > 0) out.push_back(MethodCallCount{name, called, counts.errors.load(std::memory_order_relaxed)});
  };
  for (const auto& [name, counts] : methods_) add(name, counts);
  add(kOtherMethods, other_);
  return out;
}

Json make_error_response(const Json& id, int code, const std::string& message, const std::optional<Json>& data) {
  Json error = {{"code", code}, {"message", message}};
  if (data) error["data"] = *data;
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

Json make_result_response(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::string to_body(const Json& message) {
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool nesting_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::optional<std::string> process_request(std::string_view body, CallContext& context, const MethodTable& methods,
                                           const ProcessOptions& options) {
  try {
    if (!nesting_within(body, kMaxJsonDepth)) {
      count(options, true);
      return to_body(make_error_response(nullptr, code::kParseError,
                                         "parse error: JSON nested deeper than " + std::to_string(kMaxJsonDepth)));
    }
    const Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) {
      count(options, true);
      return to_body(make_error_response(nullptr, code::kParseError, "parse error: the request is not valid JSON"));
    }
    auto response = request.is_array() ? process_batch(request, context, methods, options)
                                       : process_call(request, context, methods, options);
    if (!response) return std::nullopt;
    return to_body(*response);
  } catch (const std::exception& e) {
    // Only allocation failure can get here: handlers' exceptions are caught
    // per call.
    log_internal(options, std::string("request processing failed: ") + e.what());
    return to_body(make_error_response(nullptr, code::kInternal, "internal error"));
  }
}

}  // namespace tally::rpc
