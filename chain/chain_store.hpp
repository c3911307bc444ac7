#pragma once
// The ledger's schema over the datadir's LevelDB. Keys are one prefix byte
// and a fixed-size id:
//
//   'h' hash          -> header RLP          'b' hash     -> body RLP
//   'R' hash          -> receipts, stored form (encode_stored_receipts)
//   'r' hash          -> receipts, consensus form (encode_receipts): written
//                        by earlier builds, still read, never written
//   'w' hash          -> total weight (minimal big-endian)
//   'f' hash          -> finality certificate (PBFT)
//   'n' number (8 BE) -> canonical block hash at that height
//   'x' tx hash       -> rlp([block hash, index]) for canonical transactions
//   's' node hash     -> state trie node RLP (content-addressed, never rewritten)
//   'm' name          -> metadata: schema version, genesis hash, head hash,
//                        newest final block
//
// Writes go into the caller's WriteBatch so a whole import is one atomic
// write. Undo data: state nodes are content-addressed and kept, so any
// stored block's state is readable by its root and rolling back the state is
// pointing at an older root; the index entries a block wrote are exactly its
// body's transactions and its height, so unset_canonical() removes them
// from the body alone. Bytes read back that do not decode mean the datadir
// is corrupt: StorageError.

#include <optional>
#include <vector>

#include "chain/account_snapshots.hpp"
#include "chain/block.hpp"
#include "chain/database.hpp"
#include "chain/engine.hpp"
#include "chain/node_cache.hpp"
#include "chain/node_store.hpp"
#include "chain/warm_tries.hpp"

namespace tally::chain {

// 2: receipts stored under 'R'. A schema-1 datadir (receipts under 'r',
// which receipts() still reads) opens as it is and is marked 2 before this
// build writes to it, so an earlier build refuses it (a newer schema)
// instead of finding no receipts for the blocks written since.
inline constexpr std::uint64_t kSchemaVersion = 2;

struct TxLocation {
  Hash256 block_hash{};
  std::uint64_t index = 0;
  bool operator==(const TxLocation&) const = default;
};

class ChainStore final : public NodeStore, public HeaderReader {
 public:
  // Trie nodes kept in memory in front of the database (NodeCache).
  static constexpr std::size_t kDefaultNodeCacheBytes = 32U << 20U;

  explicit ChainStore(Database& db, std::size_t node_cache_bytes = kDefaultNodeCacheBytes)
      : db_(db), node_cache_(node_cache_bytes) {}

  std::optional<Header> header(const Hash256& hash) const;
  std::optional<BlockBody> body(const Hash256& hash) const;
  std::optional<Block> block(const Hash256& hash) const;
  std::optional<std::vector<Receipt>> receipts(const Hash256& hash) const;
  std::optional<U256> total_weight(const Hash256& hash) const;
  std::optional<Bytes> finality_certificate(const Hash256& hash) const;
  std::optional<Hash256> canonical_hash(std::uint64_t number) const;
  std::optional<TxLocation> tx_location(const Hash256& tx_hash) const;
  bool has_block(const Hash256& hash) const;

  std::optional<std::uint64_t> schema_version() const;
  std::optional<Hash256> genesis_hash() const;
  std::optional<Hash256> head_hash() const;
  // The newest block known final (PBFT), if any.
  std::optional<Hash256> final_hash() const;

  // NodeStore and HeaderReader.
  // A node read from disk is checked against its hash before it is cached or
  // returned (StateCorruption if it does not match): nodes_are_checked().
  std::optional<Bytes> get_node(const Hash256& hash) const override;
  bool nodes_are_checked() const noexcept override { return true; }
  AccountSnapshots* account_snapshots() const noexcept override { return &account_snapshots_; }
  WarmTries* warm_tries() const noexcept override { return &warm_tries_; }
  // Keeps nodes just written in the node cache, for the next block to read.
  // They must come from this process's own trie commits (hashed here).
  // Takes the nodes' bytes: the caller has written them already.
  void cache_nodes(NodeBatch&& nodes) const;
  // Nodes in the node cache (for tests and metrics).
  std::size_t cached_nodes() const { return node_cache_.entries(); }
  std::optional<Header> header_by_hash(const Hash256& hash) const override { return header(hash); }

  // Writers: each adds to `batch`; nothing is visible until it is written.
  static void put_block(WriteBatch& batch, const Block& block, const Hash256& hash, std::span<const Receipt> receipts,
                        const U256& total_weight);
  static void put_nodes(WriteBatch& batch, const NodeBatch& nodes);
  static void put_finality_certificate(WriteBatch& batch, const Hash256& hash, BytesView certificate);
  // Makes `block` canonical at its height and indexes its transactions.
  static void set_canonical(WriteBatch& batch, const Block& block, const Hash256& hash);
  // Removes `block` from the canonical index (its height and its transactions).
  static void unset_canonical(WriteBatch& batch, const Block& block);
  static void put_meta(WriteBatch& batch, std::uint64_t schema, const Hash256& genesis);
  static void put_schema(WriteBatch& batch, std::uint64_t schema);
  static void set_head(WriteBatch& batch, const Hash256& hash);
  static void set_final(WriteBatch& batch, const Hash256& hash);

  Database& database() const { return db_; }

 private:
  Database& db_;
  mutable NodeCache node_cache_;
  mutable AccountSnapshots account_snapshots_;
  mutable WarmTries warm_tries_;
};

}  // namespace tally::chain
