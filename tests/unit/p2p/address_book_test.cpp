#include "p2p/address_book.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "crypto/hex.hpp"
#include "p2p/node_key.hpp"
#include "p2p_test_util.hpp"

namespace tally::p2p {
namespace {

TEST(AddressBook, BackoffGrowsWithFailuresAndResetsOnSuccess) {
  AddressBook book(AddressBookOptions{100, std::chrono::milliseconds(1'000), std::chrono::milliseconds(4'000)});
  book.add("10.0.0.1:1");
  EXPECT_EQ(book.dial_candidates(0, 10).size(), 1U);
  book.mark_failure("10.0.0.1:1", 10'000);
  EXPECT_TRUE(book.dial_candidates(10'500, 10).empty());
  EXPECT_EQ(book.dial_candidates(11'000, 10).size(), 1U);
  book.mark_failure("10.0.0.1:1", 11'000);  // 2 failures: 2 s
  EXPECT_TRUE(book.dial_candidates(12'500, 10).empty());
  EXPECT_EQ(book.dial_candidates(13'000, 10).size(), 1U);
  for (int i = 0; i < 10; ++i) book.mark_failure("10.0.0.1:1", 20'000);  // capped at 4 s
  EXPECT_TRUE(book.dial_candidates(23'999, 10).empty());
  EXPECT_EQ(book.dial_candidates(24'000, 10).size(), 1U);
  book.mark_success("10.0.0.1:1", 25'000);
  EXPECT_EQ(book.find("10.0.0.1:1")->failures, 0U);
  EXPECT_EQ(book.good_addresses(5), std::vector<std::string>{"10.0.0.1:1"});
}

TEST(AddressBook, BoundedAndKeepsBootstrapEntries) {
  AddressBook book(AddressBookOptions{3, std::chrono::milliseconds(1), std::chrono::milliseconds(1)});
  book.add("10.0.0.1:1", true);
  for (int i = 2; i < 10; ++i) book.add("10.0.0." + std::to_string(i) + ":1");
  EXPECT_EQ(book.size(), 3U);
  EXPECT_TRUE(book.contains("10.0.0.1:1"));
}

TEST(AddressBook, SavesAndLoads) {
  test::TempDir dir("book");
  const auto file = dir.path() / kAddressBookFileName;
  AddressBook book;
  book.add("10.0.0.1:1", true);
  book.add("10.0.0.2:2");
  book.mark_success("10.0.0.2:2", 1'000);
  book.mark_failure("10.0.0.1:1", 2'000);
  ASSERT_TRUE(book.save(file).ok());

  AddressBook loaded;
  ASSERT_TRUE(loaded.load(file).ok());
  EXPECT_EQ(loaded.size(), 2U);
  EXPECT_EQ(loaded.find("10.0.0.2:2")->last_seen_ms, 1'000);
  EXPECT_EQ(loaded.find("10.0.0.1:1")->failures, 1U);
  EXPECT_TRUE(loaded.find("10.0.0.1:1")->bootstrap);
}

TEST(AddressBook, MissingFileIsEmptyAndGarbageIsAnError) {
  test::TempDir dir("book-bad");
  AddressBook book;
  EXPECT_TRUE(book.load(dir.path() / "absent.json").ok());
  EXPECT_EQ(book.size(), 0U);
  const auto file = dir.path() / "peers.json";
  std::ofstream(file) << "{not json";
  auto loaded = book.load(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("peers.json"), std::string::npos);
}

// The book is parsed whole: a file larger than any book of max_entries
// could be is refused unread, so it cannot make the node allocate without
// bound. The limit leaves room for a full book that this node saved.
TEST(AddressBook, OversizedFileIsRefusedUnparsed) {
  test::TempDir dir("book-big");
  AddressBookOptions options;
  options.max_entries = 4;
  AddressBook full(options);
  for (int i = 0; i < 4; ++i) full.add("203.0.113." + std::to_string(i) + ":30333", false);
  const auto file = dir.path() / "peers.json";
  ASSERT_TRUE(full.save(file).ok());
  AddressBook reloaded(options);
  ASSERT_TRUE(reloaded.load(file).ok());
  EXPECT_EQ(reloaded.size(), 4U);

  {
    std::ofstream out(file);
    out << R"({"version":1,"addresses":[)" << std::string(4 * 512 + 4'096, ' ') << "]}";
  }
  AddressBook refused(options);
  auto loaded = refused.load(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("more than a book of 4 addresses can be"), std::string::npos)
      << loaded.error().message;
  EXPECT_EQ(refused.size(), 0U);
}

TEST(NodeKey, CreatedOnceWithOwnerOnlyPermissionsThenReloaded) {
  test::TempDir dir("nodekey");
  auto first = load_or_create_node_key(dir.path());
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto file = dir.path() / kNodeKeyFileName;
  const auto perms = std::filesystem::status(file).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto second = load_or_create_node_key(dir.path());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(node_id_hex(crypto::public_key_of(*first)).size(), 128U);
}

// The key is read from a bounded head of the file: a key line followed by
// more lines still reads, an 0x prefix is allowed, and a file of one huge
// line is refused without being read whole.
TEST(NodeKey, KeyFileIsReadFromItsFirstLineOnly) {
  test::TempDir dir("keyfile");
  std::filesystem::create_directories(dir.path());
  const std::string hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
  const auto file = dir.path() / "key";
  std::ofstream(file) << "0x" << hex << "\r\n" << std::string(1 << 20, '#') << "\n";
  auto key = read_key_file(file, "validator key");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(tally::to_hex(key->bytes), hex);
  std::ofstream(file) << std::string(1 << 20, 'a');
  auto huge = read_key_file(file, "validator key");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("validator key " + file.string() + " is not 64 hex characters"),
            std::string::npos)
      << huge.error().message;
}

TEST(NodeKey, CorruptKeyFileIsAnError) {
  test::TempDir dir("nodekey-bad");
  std::ofstream(dir.path() / kNodeKeyFileName) << "zz\n";
  auto key = load_or_create_node_key(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("nodekey"), std::string::npos);
}

}  // namespace
}  // namespace tally::p2p
