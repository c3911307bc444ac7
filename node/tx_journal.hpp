#pragma once
// The pool journal: transactions submitted to this node over RPC, appended
// as they are accepted, so a node that is killed (kill -9, a crash) takes
// them back into its pool on restart instead of losing what it acknowledged
// (geth keeps the same kind of journal for its local transactions).
//
// File: records of [4-byte big-endian length][raw transaction]. Appends are
// plain write()s: they survive the process dying at any instant (the kernel
// has them); they are not fsynced, so a power cut may lose the last ones. A
// torn last record is ignored on load. The journal is rewritten (temporary
// file, fsync, rename) with what is still pooled when it grows.

#include <cstdio>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::node {

class TxJournal {
 public:
  static constexpr std::size_t kMaxRecordBytes = 1U << 20U;

  // Calls `each` with every whole record of `path`, in file order (none if
  // the file does not exist), holding one record in memory at a time however
  // large the file. Stops at a torn or oversized record: what follows cannot
  // be trusted. Returns how many records it read.
  static Result<std::size_t> replay(const std::filesystem::path& path, const std::function<void(Bytes)>& each);
  // The record framing over any stream (the fuzz target feeds it bytes).
  static std::size_t read_records(std::istream& in, const std::function<void(Bytes)>& each);

  // Replaces the file with `transactions` and opens it for appending.
  static Result<std::unique_ptr<TxJournal>> create(const std::filesystem::path& path,
                                                   std::span<const Bytes> transactions);
  ~TxJournal();
  TxJournal(const TxJournal&) = delete;
  TxJournal& operator=(const TxJournal&) = delete;

  Result<void> append(BytesView raw);
  // Rewrites the journal with `transactions` (what is still pooled).
  Result<void> rewrite(std::span<const Bytes> transactions);
  std::size_t bytes() const;

 private:
  TxJournal(std::filesystem::path path, int fd, std::size_t bytes) : path_(std::move(path)), fd_(fd), bytes_(bytes) {}

  std::filesystem::path path_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  std::size_t bytes_ = 0;
};

}  // namespace tally::node
