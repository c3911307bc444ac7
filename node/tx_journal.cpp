#include "node/tx_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace tally::node {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

bool write_all(int fd, BytesView data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

Bytes record_of(BytesView raw) {
  Bytes record(4 + raw.size());
  const auto size = static_cast<std::uint32_t>(raw.size());
  for (int i = 0; i < 4; ++i) record[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  std::copy(raw.begin(), raw.end(), record.begin() + 4);
  return record;
}

// Writes `transactions` to a new file at `path` (via a temporary, fsynced,
// renamed) and returns it open for appending.
Result<int> replace_file(const std::filesystem::path& path, std::span<const Bytes> transactions, std::size_t& bytes) {
  const std::string temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("pool journal " + temp + ": " + errno_text());
  bytes = 0;
  for (const auto& raw : transactions) {
    const Bytes record = record_of(raw);
    if (!write_all(fd, record)) {
      const std::string why = errno_text();
      ::close(fd);
      return fail("pool journal " + temp + ": " + why);
    }
    bytes += record.size();
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail("pool journal " + temp + ": " + errno_text());
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("pool journal " + path.string() + ": " + errno_text());
  const int append_fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (append_fd < 0) return fail("pool journal " + path.string() + ": " + errno_text());
  return append_fd;
}

}  // namespace

Result<std::size_t> TxJournal::replay(const std::filesystem::path& path, const std::function<void(Bytes)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::size_t{0};
    return fail("pool journal " + path.string() + ": cannot read");
  }
  return read_records(in, each);
}

std::size_t TxJournal::read_records(std::istream& in, const std::function<void(Bytes)>& each) {
  std::size_t count = 0;
  for (;;) {
    std::array<char, 4> length{};
    if (!in.read(length.data(), 4)) break;
    std::uint32_t size = 0;
    for (char c : length) size = (size << 8U) | static_cast<std::uint8_t>(c);
    if (size == 0 || size > kMaxRecordBytes) break;
    Bytes raw(size);
    if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(size))) break;  // NOLINT
    each(std::move(raw));
    ++count;
  }
  return count;
}

Result<std::unique_ptr<TxJournal>> TxJournal::create(const std::filesystem::path& path,
                                                     std::span<const Bytes> transactions) {
  std::size_t bytes = 0;
  auto fd = replace_file(path, transactions, bytes);
  if (!fd) return Unexpected{fd.error()};
  return std::unique_ptr<TxJournal>(new TxJournal(path, *fd, bytes));
}

TxJournal::~TxJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> TxJournal::append(BytesView raw) {
  const Bytes record = record_of(raw);
  std::lock_guard lock(mutex_);
  if (!write_all(fd_, record)) return fail("pool journal " + path_.string() + ": " + errno_text());
  bytes_ += record.size();
  return {};
}

Result<void> TxJournal::rewrite(std::span<const Bytes> transactions) {
  std::lock_guard lock(mutex_);
  std::size_t bytes = 0;
  auto fd = replace_file(path_, transactions, bytes);
  if (!fd) return Unexpected{fd.error()};
  ::close(fd_);
  fd_ = *fd;
  bytes_ = bytes;
  return {};
}

std::size_t TxJournal::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace tally::node
