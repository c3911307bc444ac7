// The pool journal: what RPC submitted survives a restart; torn tails and
// mined transactions do not come back.

#include "node/tx_journal.hpp"

#include <fstream>
#include <sstream>

#include "chain/transaction.hpp"
#include "node_test_util.hpp"

namespace tally::test {
namespace {

// Every record of the journal at `path`, in order.
std::vector<Bytes> read_journal(const std::filesystem::path& path) {
  std::vector<Bytes> records;
  auto count = node::TxJournal::replay(path, [&](Bytes raw) { records.push_back(std::move(raw)); });
  EXPECT_TRUE(count.ok()) << count.error().message;
  if (count) {
    EXPECT_EQ(*count, records.size());
  }
  return records;
}

class TxJournalTest : public NodeTest {
 protected:
  TxJournalTest() : NodeTest("journal") {}
  std::filesystem::path journal_path() const { return base_config().datadir / "txpool.journal"; }
};

TEST_F(TxJournalTest, RecordsRoundTripAndATornTailIsIgnored) {
  std::filesystem::create_directories(dir_.path());
  const auto path = dir_.path() / "j";
  const std::vector<Bytes> records{Bytes{1, 2, 3}, Bytes(300, 7)};
  auto journal = node::TxJournal::create(path, records);
  ASSERT_TRUE(journal.ok()) << journal.error().message;
  ASSERT_TRUE((*journal)->append(Bytes{9}).ok());
  EXPECT_EQ((*journal)->bytes(), 4U + 3 + 4 + 300 + 4 + 1);
  journal->reset();
  {
    std::ofstream torn(path, std::ios::binary | std::ios::app);
    torn.write("\x00\x00\x01\x00\xaa", 5);  // claims 256 bytes, holds 1
  }
  EXPECT_EQ(read_journal(path), (std::vector<Bytes>{Bytes{1, 2, 3}, Bytes(300, 7), Bytes{9}}));
  EXPECT_TRUE(read_journal(dir_.path() / "missing").empty());
}

// A record claiming more than kMaxRecordBytes, or nothing, ends the replay
// before anything is allocated for it; the records before it count.
TEST(TxJournalRecords, OversizedOrEmptyRecordEndsTheReplay) {
  const auto over = static_cast<std::uint32_t>(node::TxJournal::kMaxRecordBytes + 1);
  for (const std::uint32_t claimed : {over, 0xFFFFFFFFU, 0U}) {
    std::string file("\x00\x00\x00\x02\xaa\xbb", 6);
    for (int shift = 24; shift >= 0; shift -= 8) file.push_back(static_cast<char>((claimed >> shift) & 0xFFU));
    file += "\x00\x00\x00\x01\xcc";  // a well-formed record after the bad one is not trusted
    std::istringstream in(file);
    std::vector<Bytes> records;
    EXPECT_EQ(node::TxJournal::read_records(in, [&](Bytes raw) { records.push_back(std::move(raw)); }), 1U);
    EXPECT_EQ(records, std::vector<Bytes>{(Bytes{0xaa, 0xbb})}) << "claimed " << claimed;
  }
}

TEST_F(TxJournalTest, PendingRpcTransactionsSurviveARestartAndMinedOnesDoNot) {
  auto& node = start(base_config());
  const auto mined = transfer(0, Address{0x10}, ether(), 0);
  const auto waiting = transfer(1, Address{0x11}, ether(), 0);
  ASSERT_TRUE(node.pool_service().submit_raw(chain::encode(mined)).ok());
  ASSERT_TRUE(node.miner().mine_now(1, Address{0xaa}).ok());
  ASSERT_TRUE(node.pool_service().submit_raw(chain::encode(waiting)).ok());
  node_.reset();  // stops; the journal holds both, one of them mined

  auto& restarted = start(base_config());
  EXPECT_TRUE(restarted.mempool().contains(chain::tx_hash(waiting)));
  EXPECT_FALSE(restarted.mempool().contains(chain::tx_hash(mined)));
  EXPECT_EQ(restarted.mempool().status().pending, 1U);
  // The journal was compacted to what is still pooled.
  EXPECT_EQ(read_journal(journal_path()), std::vector<Bytes>{chain::encode(waiting)});
}

TEST_F(TxJournalTest, GarbageInTheJournalIsSkipped) {
  std::filesystem::create_directories(base_config().datadir);
  {
    auto journal = node::TxJournal::create(journal_path(), std::vector<Bytes>{Bytes{0xde, 0xad}});
    ASSERT_TRUE(journal.ok());
  }
  auto& node = start(base_config());
  EXPECT_EQ(node.mempool().status().pending, 0U);
  EXPECT_TRUE(read_journal(journal_path()).empty());
}

}  // namespace
}  // namespace tally::test
