#include "rpc/auth_token.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "crypto/hex.hpp"

namespace tally::rpc {

namespace {

constexpr std::size_t kMaxTokenFileHead = 256;

bool is_token(std::string_view text) {
  if (text.size() != 2 * kTokenBytes) return false;
  for (const char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

Result<std::string> read_token(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read the RPC token file " + path.string());
  // A token file holds 64 characters and a newline: a bounded head is all
  // that is read, however large the file.
  std::string token(kMaxTokenFileHead, '\0');
  in.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<std::size_t>(in.gcount()));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (!is_token(token)) {
    return fail("the RPC token file " + path.string() + " does not hold a 64-character hex token; delete it to " +
                "have a new one created");
  }
  return token;
}

// Writes the whole string to a file created with mode 0600; O_EXCL so a
// file created meanwhile by someone else is never overwritten.
Result<void> write_new_file(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create the RPC token file " + path.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      return fail("cannot write the RPC token file " + path.string() + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    ::unlink(path.c_str());
    return fail("cannot write the RPC token file " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<std::string> load_or_create_token(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return read_token(path);
  std::array<std::uint8_t, kTokenBytes> secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return fail("cannot create the RPC token: the system random generator failed");
  }
  const std::string token = to_hex(BytesView(secret.data(), secret.size()));
  auto written = write_new_file(path, token + "\n");
  if (!written) {
    // Lost a race with another process creating it: use theirs.
    if (std::filesystem::exists(path, ec)) return read_token(path);
    return Unexpected{written.error()};
  }
  return token;
}

bool tokens_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace tally::rpc
