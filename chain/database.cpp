#include "chain/database.hpp"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

namespace tally::chain {
namespace {

leveldb::Slice slice(BytesView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

BytesView view(const leveldb::Slice& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};  // NOLINT
}

[[noreturn]] void raise(const char* what, const leveldb::Status& status) {
  throw StorageError(std::string("database ") + what + " failed: " + status.ToString());
}

const leveldb::FilterPolicy* bloom_filter() {
  // Ten bits per key: ~1% false positives, so a miss (an unknown tx hash,
  // a node not yet stored) rarely touches the disk.
  static const leveldb::FilterPolicy* policy = leveldb::NewBloomFilterPolicy(10);
  return policy;
}

std::uint32_t op_size(BytesView bytes) {
  if (bytes.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("database write: a key or value over 4 GiB");
  }
  return static_cast<std::uint32_t>(bytes.size());
}

// Below this many operations sorting costs more than the order saves.
constexpr std::size_t kSortBatchFrom = 64;

}  // namespace

WriteBatch::WriteBatch() = default;
WriteBatch::~WriteBatch() = default;
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&&) noexcept = default;
void WriteBatch::put(BytesView key, BytesView value) {
  ops_.push_back({bytes_.size(), op_size(key), op_size(value), false});
  bytes_.append(reinterpret_cast<const char*>(key.data()), key.size());      // NOLINT
  bytes_.append(reinterpret_cast<const char*>(value.data()), value.size());  // NOLINT
}
void WriteBatch::erase(BytesView key) {
  ops_.push_back({bytes_.size(), op_size(key), 0, true});
  bytes_.append(reinterpret_cast<const char*>(key.data()), key.size());  // NOLINT
}

Snapshot::~Snapshot() {
  if (snap_ != nullptr) db_->db_->ReleaseSnapshot(snap_);
}
Snapshot::Snapshot(Snapshot&& other) noexcept : db_(other.db_), snap_(other.snap_) {
  other.snap_ = nullptr;
}
std::optional<Bytes> Snapshot::get(BytesView key) const {
  return db_->get_at(key, snap_);
}

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& dir, const DatabaseOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create database folder " + dir.string() + ": " + ec.message());
  std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(options.block_cache_bytes));
  leveldb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  opts.block_cache = cache.get();
  opts.write_buffer_size = options.write_buffer_bytes;
  opts.max_open_files = options.max_open_files;
  opts.filter_policy = bloom_filter();
  leveldb::DB* raw = nullptr;
  leveldb::Status status = leveldb::DB::Open(opts, dir.string(), &raw);
  if (!status.ok()) {
    std::string hint;
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
      hint = " (is another tallyd using this datadir?)";
    }
    return fail("cannot open database " + dir.string() + ": " + status.ToString() + hint);
  }
  return std::unique_ptr<Database>(new Database(std::unique_ptr<leveldb::DB>(raw), std::move(cache)));
}

Database::Database(std::unique_ptr<leveldb::DB> db, std::unique_ptr<leveldb::Cache> cache)
    : cache_(std::move(cache)), db_(std::move(db)) {}

// The DB must close before the cache it uses is freed.
Database::~Database() {
  db_.reset();
}

std::optional<Bytes> Database::get(BytesView key) const {
  return get_at(key, nullptr);
}

std::optional<Bytes> Database::get_at(BytesView key, const leveldb::Snapshot* snap) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.snapshot = snap;
  std::string value;
  leveldb::Status status = db_->Get(ro, slice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) raise("read", status);
  return Bytes(value.begin(), value.end());
}

void Database::write(WriteBatch& batch, bool sync) {
  using Op = WriteBatch::Op;
  const std::string& bytes = batch.bytes_;
  auto key_of = [&](const Op& op) { return leveldb::Slice(bytes.data() + op.offset, op.key_size); };
  // Large batches go in key order (stable: of two operations on one key the
  // later still wins). LevelDB inserts a batch into its memtable, a skip
  // list, one search from the top at a time; in key order each search walks
  // nearly the path the one before it left in cache, where a block's random
  // hashes (trie nodes, transaction locations) made each one a chain of
  // cache misses.
  if (batch.ops_.size() >= kSortBatchFrom) {
    std::stable_sort(batch.ops_.begin(), batch.ops_.end(),
                     [&](const Op& a, const Op& b) { return key_of(a).compare(key_of(b)) < 0; });
  }
  leveldb::WriteBatch raw;
  for (const Op& op : batch.ops_) {
    if (op.erase) {
      raw.Delete(key_of(op));
    } else {
      raw.Put(key_of(op), leveldb::Slice(bytes.data() + op.offset + op.key_size, op.value_size));
    }
  }
  leveldb::WriteOptions wo;
  wo.sync = sync;
  leveldb::Status status = db_->Write(wo, &raw);
  if (!status.ok()) raise("write", status);
}

void Database::put(BytesView key, BytesView value, bool sync) {
  WriteBatch batch;
  batch.put(key, value);
  write(batch, sync);
}

Snapshot Database::snapshot() const {
  return Snapshot(*this, db_->GetSnapshot());
}

void Database::scan_prefix(BytesView prefix, Visitor visit, void* ctx) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;  // a scan should not evict the hot set
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    if (!visit(ctx, view(it->key()), view(it->value()))) break;
  }
  if (!it->status().ok()) raise("scan", it->status());
}

}  // namespace tally::chain
