// JSON-RPC 2.0 processing without sockets: envelopes, batches,
// notifications, ids, every error code, limits and admin refusal.

#include "rpc/jsonrpc.hpp"

#include <gtest/gtest.h>

#include <string>

#include "rpc_test_util.hpp"

namespace tally::rpc {
namespace {

class JsonRpcTest : public ::testing::Test {
 protected:
  // Processes `body` and parses the answer; null Json when there is none.
  Json run(const std::string& body, bool admin = false) {
    CallContext context;
    context.admin = admin;
    auto response = process_request(body, context, methods_, options_);
    if (!response) return Json();
    return Json::parse(*response);
  }

  static void expect_error(const Json& response, int code, const Json& id) {
    ASSERT_TRUE(response.is_object()) << response;
    EXPECT_EQ(response["jsonrpc"], "2.0");
    EXPECT_EQ(response["id"], id) << response;
    ASSERT_TRUE(response.contains("error")) << response;
    EXPECT_FALSE(response.contains("result"));
    EXPECT_EQ(response["error"]["code"], code) << response;
    EXPECT_TRUE(response["error"]["message"].is_string());
  }

  MethodTable methods_ = test::test_methods();
  CallCounters counters_;
  ProcessOptions options_{kDefaultMaxBatch, &counters_, [this](const std::string& m) { logged_ += m + "\n"; }};
  std::string logged_;
};

TEST_F(JsonRpcTest, SingleCallReturnsResultWithItsId) {
  const auto response = run(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]})");
  EXPECT_EQ(response, (Json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", 5}}));
}

TEST_F(JsonRpcTest, IdsOfEveryAllowedTypeAreEchoed) {
  for (const char* id : {"7", "-3", "\"abc\"", "\"\"", "null", "1.5", "18446744073709551615"}) {
    const auto response = run(std::string(R"({"jsonrpc":"2.0","method":"echo","params":[],"id":)") + id + "}");
    EXPECT_EQ(response["id"], Json::parse(id)) << id;
    EXPECT_EQ(response["result"], Json::array());
  }
}

TEST_F(JsonRpcTest, IdBeyondSixtyFourBitsIsAnsweredAsTheNearestNumber) {
  const auto response = run(R"({"jsonrpc":"2.0","method":"echo","id":123456789012345678901234567890})");
  ASSERT_TRUE(response["id"].is_number()) << response;
  EXPECT_DOUBLE_EQ(response["id"].get<double>(), 1.2345678901234568e29);
  EXPECT_EQ(response["result"], Json::array());
}

TEST_F(JsonRpcTest, IdOfWrongTypeIsInvalidRequest) {
  expect_error(run(R"({"jsonrpc":"2.0","method":"echo","id":{"a":1}})"), code::kInvalidRequest, nullptr);
  expect_error(run(R"({"jsonrpc":"2.0","method":"echo","id":[1]})"), code::kInvalidRequest, nullptr);
  expect_error(run(R"({"jsonrpc":"2.0","method":"echo","id":true})"), code::kInvalidRequest, nullptr);
}

TEST_F(JsonRpcTest, ParamsByNameAndOmittedParamsReachTheHandler) {
  EXPECT_EQ(run(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}})")["result"], (Json{{"a", 1}}));
  EXPECT_EQ(run(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")["result"], Json::array());
  EXPECT_EQ(run(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":null})")["result"], Json::array());
  const auto response = run(R"({"jsonrpc":"2.0","id":1,"method":"null_result"})");
  ASSERT_TRUE(response.contains("result"));
  EXPECT_TRUE(response["result"].is_null());
}

TEST_F(JsonRpcTest, NotificationIsExecutedButNotAnswered) {
  CallContext context;
  EXPECT_FALSE(process_request(R"({"jsonrpc":"2.0","method":"add","params":[1,2]})", context, methods_, options_));
  EXPECT_FALSE(process_request(R"({"jsonrpc":"2.0","method":"no_such"})", context, methods_, options_));
  EXPECT_FALSE(process_request(R"({"jsonrpc":"2.0","method":"fail_internal"})", context, methods_, options_));
  EXPECT_EQ(counters_.calls.load(), 3U);
  EXPECT_EQ(counters_.errors.load(), 2U);
}

TEST_F(JsonRpcTest, MalformedJsonIsParseErrorWithNullId) {
  for (const char* body : {"", "{", "{\"jsonrpc\":\"2.0\",", "nul", "[1,2", "\xff\xfe", "{\"a\":1}}"}) {
    expect_error(run(body), code::kParseError, nullptr);
  }
}

TEST_F(JsonRpcTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  expect_error(run(deep), code::kParseError, nullptr);
  // Brackets inside strings do not count.
  const std::string quoted =
      std::string(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")").append(1000, '[').append("\"]}");
  EXPECT_TRUE(run(quoted).contains("result"));
}

TEST_F(JsonRpcTest, InvalidEnvelopesAreInvalidRequest) {
  expect_error(run("42"), code::kInvalidRequest, nullptr);
  expect_error(run("\"text\""), code::kInvalidRequest, nullptr);
  expect_error(run(R"({"id":1,"method":"echo"})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":"1.0","id":1,"method":"echo"})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":2.0,"id":1,"method":"echo"})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":"2.0","id":1})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":"2.0","id":1,"method":5})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":"x"})"), code::kInvalidRequest, 1);
  expect_error(run(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":3})"), code::kInvalidRequest, 1);
  // An invalid request is answered even without an id.
  expect_error(run(R"({"jsonrpc":"2.0","method":5})"), code::kInvalidRequest, nullptr);
}

TEST_F(JsonRpcTest, UnknownMethodNamesTheMethod) {
  const auto response = run(R"({"jsonrpc":"2.0","id":"q","method":"eth_noSuchThing"})");
  expect_error(response, code::kMethodNotFound, "q");
  EXPECT_NE(response["error"]["message"].get<std::string>().find("eth_noSuchThing"), std::string::npos);
}

TEST_F(JsonRpcTest, HandlerErrorsMapToTheirCodes) {
  const auto rpc = run(R"({"jsonrpc":"2.0","id":1,"method":"fail_rpc"})");
  expect_error(rpc, code::kServerError, 1);
  EXPECT_EQ(rpc["error"]["message"], "nonce too low");
  EXPECT_EQ(rpc["error"]["data"], (Json{{"detail", 7}}));

  const auto type = run(R"({"jsonrpc":"2.0","id":2,"method":"add","params":["a",1]})");
  expect_error(type, code::kInvalidParams, 2);
  EXPECT_EQ(type["error"]["message"].get<std::string>().rfind("invalid params: ", 0), 0U) << type;
  EXPECT_EQ(type["error"]["message"].get<std::string>().find("json.exception"), std::string::npos) << type;
  expect_error(run(R"({"jsonrpc":"2.0","id":3,"method":"add","params":[1]})"), code::kInvalidParams, 3);

  EXPECT_TRUE(logged_.empty());
  const auto internal = run(R"({"jsonrpc":"2.0","id":4,"method":"fail_internal"})");
  expect_error(internal, code::kInternal, 4);
  EXPECT_FALSE(internal["error"].contains("data"));
  EXPECT_NE(logged_.find("fail_internal"), std::string::npos);
  EXPECT_NE(logged_.find("disk on fire"), std::string::npos);
  expect_error(run(R"({"jsonrpc":"2.0","id":5,"method":"fail_odd"})"), code::kInternal, 5);
}

TEST_F(JsonRpcTest, AdminMethodNeedsAdminContext) {
  const auto refused = run(R"({"jsonrpc":"2.0","id":1,"method":"admin_only"})");
  expect_error(refused, code::kUnauthorized, 1);
  const auto message = refused["error"]["message"].get<std::string>();
  EXPECT_EQ(message.rfind("unauthorized: ", 0), 0U) << message;
  EXPECT_NE(message.find("Authorization: Bearer"), std::string::npos) << message;
  EXPECT_EQ(run(R"({"jsonrpc":"2.0","id":1,"method":"admin_only"})", /*admin=*/true)["result"], "granted");
}

TEST_F(JsonRpcTest, BatchAnswersCallsAndSkipsNotifications) {
  const auto response = run(R"([
    {"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]},
    {"jsonrpc":"2.0","method":"add","params":[5,5]},
    {"jsonrpc":"2.0","id":"two","method":"no_such"},
    7,
    {"jsonrpc":"2.0","id":null,"method":"echo","params":["x"]},
    [{"jsonrpc":"2.0","id":9,"method":"echo"}]
  ])");
  ASSERT_TRUE(response.is_array()) << response;
  ASSERT_EQ(response.size(), 5U) << response;
  EXPECT_EQ(response[0]["result"], 2);
  expect_error(response[1], code::kMethodNotFound, "two");
  expect_error(response[2], code::kInvalidRequest, nullptr);
  EXPECT_EQ(response[3]["result"], Json::array({"x"}));
  expect_error(response[4], code::kInvalidRequest, nullptr);  // no nested batches
}

TEST_F(JsonRpcTest, BatchOfNotificationsOnlyHasNoAnswer) {
  CallContext context;
  EXPECT_FALSE(process_request(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"add","params":[1,2]}])",
                               context, methods_, options_));
}

TEST_F(JsonRpcTest, EmptyBatchIsOneInvalidRequest) {
  expect_error(run("[]"), code::kInvalidRequest, nullptr);
}

TEST_F(JsonRpcTest, OverlongBatchIsRefusedWhole) {
  options_.max_batch = 3;
  Json batch = Json::array();
  batch.push_back(Json{{"jsonrpc", "2.0"}, {"method", "echo"}});  // a notification: its id is not taken
  for (int i = 0; i < 3; ++i) batch.push_back(Json{{"jsonrpc", "2.0"}, {"id", 10 + i}, {"method", "echo"}});
  const auto response = run(batch.dump());
  ASSERT_TRUE(response.is_array() && response.size() == 1U) << response;
  expect_error(response[0], code::kLimitExceeded, 10);
  EXPECT_NE(response[0]["error"]["message"].get<std::string>().find("at most 3"), std::string::npos);

  batch.erase(0);  // exactly the limit
  EXPECT_EQ(run(batch.dump()).size(), 3U);
}

TEST_F(JsonRpcTest, InvalidUtf8InAResultIsReplacedNotThrown) {
  const std::string bad = "\xc3\x28";
  methods_.add("bad_utf8", Access::open, [bad](const Json&, CallContext&) { return Json(bad); });
  const auto response = run(R"({"jsonrpc":"2.0","id":1,"method":"bad_utf8"})");
  EXPECT_TRUE(response["result"].is_string());
}

TEST_F(JsonRpcTest, CountersCountCallsAndErrors) {
  (void)run(R"([{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"nope"}])");
  (void)run("not json");
  EXPECT_EQ(counters_.calls.load(), 3U);
  EXPECT_EQ(counters_.errors.load(), 2U);
}

TEST(JsonNesting, CountsOnlyStructureOutsideStrings) {
  EXPECT_TRUE(nesting_within("[[1]]", 2));
  EXPECT_FALSE(nesting_within("[[[1]]]", 2));
  EXPECT_TRUE(nesting_within(R"(["[[[[", {"a":"\"[[["}])", 2));
}

}  // namespace
}  // namespace tally::rpc
