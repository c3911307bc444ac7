#include "p2p/node_key.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "crypto/hex.hpp"

namespace tally::p2p {
namespace {

Result<crypto::PrivateKey> read_key(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail("cannot read node key " + file.string() + ": " + std::strerror(errno));
  std::string text;
  std::getline(in, text, '\n');
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto bytes = from_hex_fixed<32>(text);
  if (!bytes) return fail("node key " + file.string() + " is not 64 hex characters: " + bytes.error().message);
  auto key = crypto::private_key_from_bytes(*bytes);
  if (!key) return fail("node key " + file.string() + " is not a valid secp256k1 key: " + key.error().message);
  return key;
}

Result<void> write_new_key(const std::filesystem::path& file, const crypto::PrivateKey& key) {
  // O_EXCL: never overwrite a key another process created meanwhile.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create node key " + file.string() + ": " + std::strerror(errno));
  const std::string text = to_hex(key.bytes) + "\n";
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = std::strerror(errno);
      ::close(fd);
      return fail("cannot write node key " + file.string() + ": " + error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return fail("cannot sync node key " + file.string() + ": " + error);
  }
  if (::close(fd) != 0) return fail("cannot close node key " + file.string() + ": " + std::strerror(errno));
  return {};
}

}  // namespace

Result<crypto::PrivateKey> load_or_create_node_key(const std::filesystem::path& datadir) {
  std::error_code ec;
  std::filesystem::create_directories(datadir, ec);
  if (ec) return fail("cannot create datadir " + datadir.string() + ": " + ec.message());
  const auto file = datadir / kNodeKeyFileName;
  if (std::filesystem::exists(file, ec)) return read_key(file);
  const auto key = crypto::generate_private_key();
  auto written = write_new_key(file, key);
  if (!written) {
    // Another process may have won the race; its key is as good.
    if (std::filesystem::exists(file, ec)) return read_key(file);
    return Unexpected{written.error()};
  }
  return key;
}

std::string node_id_hex(const crypto::PublicKey& node_id) {
  return to_hex(node_id.xy);
}

}  // namespace tally::p2p
