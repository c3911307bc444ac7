#pragma once
// The one LevelDB database of a datadir. Everything a block import changes
// goes into one WriteBatch written atomically (and synced when asked), so a
// crash leaves the database before or after the batch, never between.
//
// Opening reports user-facing problems as a Result (locked by another
// process, corrupt, unreadable). After that, an I/O or corruption error on a
// read or write throws StorageError: the node cannot go on safely and must
// stop with that message rather than guess.

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace leveldb {
class DB;
class Cache;
class Snapshot;
}  // namespace leveldb

namespace tally::chain {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DatabaseOptions {
  std::size_t block_cache_bytes = 64U << 20;   // LevelDB's uncompressed block cache
  std::size_t write_buffer_bytes = 16U << 20;  // memtable size before a flush
  int max_open_files = 500;
};

// The operations of one atomic write, kept in the order they were made:
// of two operations on one key, the later wins.
class WriteBatch {
 public:
  WriteBatch();
  ~WriteBatch();
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;

  void put(BytesView key, BytesView value);
  void erase(BytesView key);
  std::size_t operations() const { return ops_.size(); }

 private:
  friend class Database;
  // Keys and values live end to end in bytes_; an operation names its key
  // and value by offset, so a batch of thousands of trie nodes grows one
  // buffer instead of allocating per operation.
  struct Op {
    std::size_t offset;
    std::uint32_t key_size;
    std::uint32_t value_size;
    bool erase;
  };
  std::string bytes_;
  std::vector<Op> ops_;
};

class Database;

// A consistent read-only view at one instant: readers (RPC) use it while
// the writer goes on importing.
class Snapshot {
 public:
  ~Snapshot();
  Snapshot(Snapshot&&) noexcept;
  Snapshot& operator=(Snapshot&&) = delete;
  std::optional<Bytes> get(BytesView key) const;

 private:
  friend class Database;
  Snapshot(const Database& db, const leveldb::Snapshot* snap) : db_(&db), snap_(snap) {}
  const Database* db_;
  const leveldb::Snapshot* snap_;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& dir, const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  std::optional<Bytes> get(BytesView key) const;
  // sync = true makes the write durable before returning (fsync); a block
  // import uses it so an acknowledged block survives power loss.
  void write(WriteBatch& batch, bool sync);
  void put(BytesView key, BytesView value, bool sync);
  Snapshot snapshot() const;

  // Calls fn(key, value) for every key starting with prefix, in key order,
  // until fn returns false.
  template <class Fn>
  void for_each_prefix(BytesView prefix, Fn&& fn) const;

 private:
  friend class Snapshot;
  Database(std::unique_ptr<leveldb::DB> db, std::unique_ptr<leveldb::Cache> cache);
  std::optional<Bytes> get_at(BytesView key, const leveldb::Snapshot* snap) const;
  using Visitor = bool (*)(void*, BytesView, BytesView);
  void scan_prefix(BytesView prefix, Visitor visit, void* ctx) const;

  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
};

template <class Fn>
void Database::for_each_prefix(BytesView prefix, Fn&& fn) const {
  scan_prefix(
      prefix, [](void* ctx, BytesView k, BytesView v) { return (*static_cast<Fn*>(ctx))(k, v); }, &fn);
}

}  // namespace tally::chain
