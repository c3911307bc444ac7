#include "node/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace tally::node {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

Result<void> write_durably(const std::filesystem::path& file, BytesView bytes) {
  const std::filesystem::path temp = file.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot write " + temp.string() + ": " + errno_text());
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = errno_text();
      (void)::close(fd);
      return fail("cannot write " + temp.string() + ": " + why);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string why = errno_text();
    (void)::close(fd);
    return fail("cannot sync " + temp.string() + ": " + why);
  }
  if (::close(fd) != 0) return fail("cannot close " + temp.string() + ": " + errno_text());
  if (::rename(temp.c_str(), file.c_str()) != 0) return fail("cannot replace " + file.string() + ": " + errno_text());
  // The rename itself is durable once the directory is synced.
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return fail("cannot open " + dir.string() + " to sync it: " + errno_text());
  const bool synced = ::fsync(dir_fd) == 0;
  const std::string why = synced ? std::string() : errno_text();
  (void)::close(dir_fd);
  if (!synced) return fail("cannot sync " + dir.string() + ": " + why);
  return {};
}

Result<std::optional<Bytes>> read_if_exists(const std::filesystem::path& file, std::uintmax_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (ec) return fail("cannot read " + file.string() + ": " + ec.message());
    return std::optional<Bytes>{};
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return fail("cannot read " + file.string() + ": " + ec.message());
  if (size > max_bytes) {
    return fail(file.string() + " is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
                " it may hold");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot read " + file.string() + ": " + errno_text());
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail("cannot read " + file.string());
  return std::optional<Bytes>{std::move(bytes)};
}

}  // namespace tally::node
