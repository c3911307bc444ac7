// The admin token file: created once with owner-only permissions, read
// back unchanged, refused when damaged.

#include "rpc/auth_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace tally::rpc {
namespace {

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tally-token-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(TokenFile, CreatesAnOwnerOnlyRandomToken) {
  const auto path = dir_ / "rpc.token";
  auto token = load_or_create_token(path);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->size(), 64U);
  EXPECT_EQ(token->find_first_not_of("0123456789abcdef"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);

  auto again = load_or_create_token(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *token);

  auto other = load_or_create_token(dir_ / "other.token");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *token);
}

TEST_F(TokenFile, RefusesADamagedFile) {
  const auto path = dir_ / "rpc.token";
  std::ofstream(path) << "not a token\n";
  auto token = load_or_create_token(path);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find(path.string()), std::string::npos);
}

// A valid token followed by a megabyte: only a bounded head is read, and a
// file that is more than a token is refused.
TEST_F(TokenFile, RefusesAnOversizedFileReadingOnlyItsHead) {
  const auto path = dir_ / "rpc.token";
  std::ofstream(path) << std::string(64, 'a') << std::string(1 << 20, 'b');
  auto token = load_or_create_token(path);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find("64-character hex token"), std::string::npos) << token.error().message;
}

TEST_F(TokenFile, ReportsAnUnwritableDirectory) {
  auto token = load_or_create_token(dir_ / "missing-dir" / "rpc.token");
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find("cannot create"), std::string::npos) << token.error().message;
}

TEST(TokenCompare, EqualOnlyForEqualStrings) {
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abc", "abd"));
  EXPECT_FALSE(tokens_equal("abc", "abcd"));
  EXPECT_FALSE(tokens_equal("", "a"));
}

}  // namespace
}  // namespace tally::rpc
