// Small state files (the PBFT promise file) are written durably and read back
// whole, within a bound checked before anything is read.

#include "node/durable_file.hpp"

#include <fstream>
#include <string>

#include "node_test_util.hpp"

namespace tally::test {
namespace {

TEST(DurableFile, WrittenBytesReadBackAndAMissingFileIsNone) {
  TempDir dir("durable");
  std::filesystem::create_directories(dir.path());
  const auto file = dir.path() / "state";
  auto absent = node::read_if_exists(file, 16);
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(absent->has_value());
  ASSERT_TRUE(node::write_durably(file, Bytes{1, 2, 3}).ok());
  ASSERT_TRUE(node::write_durably(file, Bytes(16, 7)).ok());  // replaces
  auto read = node::read_if_exists(file, 16);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(**read, Bytes(16, 7));
}

TEST(DurableFile, FileLargerThanItsBoundIsAnErrorNamingBoth) {
  TempDir dir("durable-big");
  std::filesystem::create_directories(dir.path());
  const auto file = dir.path() / "state";
  std::ofstream(file) << std::string(17, 'x');
  auto read = node::read_if_exists(file, 16);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("is 17 bytes, more than the 16 it may hold"), std::string::npos)
      << read.error().message;
}

}  // namespace
}  // namespace tally::test
