#include "chain/database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tally::chain {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tally-db-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Database> open() {
    auto db = Database::open(dir_);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    return std::move(db).value();
  }
  std::filesystem::path dir_;
};

Bytes b(std::string_view s) {
  return to_bytes(as_bytes(s));
}

TEST_F(DatabaseTest, PutGetEraseAndMissingKey) {
  auto db = open();
  EXPECT_FALSE(db->get(b("k")).has_value());
  db->put(b("k"), b("v"), false);
  EXPECT_EQ(db->get(b("k")), b("v"));
  WriteBatch batch;
  batch.erase(b("k"));
  batch.put(b("k2"), b(""));
  db->write(batch, true);
  EXPECT_FALSE(db->get(b("k")).has_value());
  ASSERT_TRUE(db->get(b("k2")).has_value());
  EXPECT_TRUE(db->get(b("k2"))->empty());
}

TEST_F(DatabaseTest, BatchIsAllOrNothingAcrossReopen) {
  {
    auto db = open();
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.put(b("key" + std::to_string(i)), b("value" + std::to_string(i)));
    db->write(batch, true);
  }
  auto db = open();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(db->get(b("key" + std::to_string(i))), b("value" + std::to_string(i)));
}

// A large batch is written in key order (see Database::write); of two
// operations on one key the later must still win, in either direction.
TEST_F(DatabaseTest, LargeBatchKeepsTheLastOperationOnEachKey) {
  auto db = open();
  db->put(b("gone"), b("old"), false);
  WriteBatch batch;
  for (int i = 199; i >= 0; --i) batch.put(b("key" + std::to_string(i)), b("first"));
  batch.put(b("gone"), b("again"));
  batch.erase(b("gone"));
  batch.erase(b("back"));
  batch.put(b("back"), b("here"));
  for (int i = 0; i < 200; i += 2) batch.put(b("key" + std::to_string(i)), b("second"));
  ASSERT_GE(batch.operations(), 64U);
  db->write(batch, true);
  EXPECT_FALSE(db->get(b("gone")).has_value());
  EXPECT_EQ(db->get(b("back")), b("here"));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(db->get(b("key" + std::to_string(i))), b(i % 2 == 0 ? "second" : "first")) << i;
  }
}

TEST_F(DatabaseTest, SnapshotIgnoresLaterWrites) {
  auto db = open();
  db->put(b("a"), b("1"), false);
  Snapshot snap = db->snapshot();
  db->put(b("a"), b("2"), false);
  db->put(b("b"), b("3"), false);
  EXPECT_EQ(snap.get(b("a")), b("1"));
  EXPECT_FALSE(snap.get(b("b")).has_value());
  EXPECT_EQ(db->get(b("a")), b("2"));
}

TEST_F(DatabaseTest, PrefixScanStopsAtPrefixEndAndOnRequest) {
  auto db = open();
  db->put(b("p1"), b("x"), false);
  db->put(b("p2"), b("y"), false);
  db->put(b("p3"), b("z"), false);
  db->put(b("q1"), b("w"), false);
  std::vector<std::string> seen;
  db->for_each_prefix(b("p"), [&](BytesView k, BytesView) {
    seen.emplace_back(k.begin(), k.end());
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"p1", "p2", "p3"}));
  seen.clear();
  db->for_each_prefix(b("p"), [&](BytesView k, BytesView) {
    seen.emplace_back(k.begin(), k.end());
    return seen.size() < 2;
  });
  EXPECT_EQ(seen.size(), 2U);
}

TEST_F(DatabaseTest, SecondOpenOfSameDatadirIsRefusedWithHint) {
  auto db = open();
  auto second = Database::open(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("another tallyd"), std::string::npos) << second.error().message;
}

TEST_F(DatabaseTest, OpenOnAFileIsRefused) {
  std::filesystem::create_directories(dir_.parent_path());
  { std::ofstream(dir_) << "not a directory"; }
  auto db = Database::open(dir_);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find(dir_.string()), std::string::npos);
  std::filesystem::remove(dir_);
}

}  // namespace
}  // namespace tally::chain
