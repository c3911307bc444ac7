// The receipts' keys in the datadir: new blocks are written in the stored
// form under 'R'; receipts that earlier builds wrote in the consensus form
// under 'r' are still read; bytes under either key that do not decode are
// a corrupt datadir.

#include "chain/chain_store.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "chain_test_util.hpp"

namespace tally::chain {
namespace {

class ChainStoreReceiptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    block_.header.number = 7;
    hash_ = block_hash(block_);
  }

  Bytes key(std::uint8_t prefix) const {
    Bytes k{prefix};
    append(k, hash_);
    return k;
  }

  void put_raw(std::uint8_t prefix, BytesView value) {
    WriteBatch batch;
    batch.put(key(prefix), value);
    db_->write(batch, true);
  }

  test::TempDir dir_{"chain-store"};
  std::unique_ptr<Database> db_;
  Block block_;
  Hash256 hash_{};
  const std::vector<Receipt> receipts_ = {
      {TxType::legacy, 1, 21'000}, {TxType::access_list, 1, 42'000}, {TxType::dynamic_fee, 1, 63'000}};
};

TEST_F(ChainStoreReceiptsTest, PutBlockWritesTheStoredFormUnderTheNewKey) {
  WriteBatch batch;
  ChainStore::put_block(batch, block_, hash_, receipts_, U256(1));
  db_->write(batch, true);
  EXPECT_EQ(db_->get(key('R')), encode_stored_receipts(receipts_));
  EXPECT_FALSE(db_->get(key('r')).has_value());
  EXPECT_EQ(ChainStore(*db_).receipts(hash_), receipts_);
}

TEST_F(ChainStoreReceiptsTest, ConsensusFormUnderTheOldKeyIsStillRead) {
  put_raw('r', encode_receipts(receipts_));
  EXPECT_EQ(ChainStore(*db_).receipts(hash_), receipts_);
  put_raw('r', encode_receipts({}));
  const auto none = ChainStore(*db_).receipts(hash_);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_F(ChainStoreReceiptsTest, NewKeyIsReadFirst) {
  put_raw('r', encode_receipts(receipts_));
  put_raw('R', encode_stored_receipts(std::span(receipts_).first(1)));
  EXPECT_EQ(ChainStore(*db_).receipts(hash_), std::vector<Receipt>{receipts_.front()});
}

TEST_F(ChainStoreReceiptsTest, UnknownBlockHasNoReceipts) {
  EXPECT_FALSE(ChainStore(*db_).receipts(hash_).has_value());
}

TEST_F(ChainStoreReceiptsTest, UndecodableBytesUnderEitherKeyAreCorruption) {
  put_raw('r', encode_stored_receipts(receipts_));  // the wrong form for the old key
  EXPECT_THROW((void)ChainStore(*db_).receipts(hash_), StorageError);
  put_raw('R', encode_receipts(receipts_));  // the wrong form for the new key
  EXPECT_THROW((void)ChainStore(*db_).receipts(hash_), StorageError);
}

}  // namespace
}  // namespace tally::chain
