#include "p2p/node_key.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "crypto/hex.hpp"

namespace tally::p2p {

Result<crypto::PrivateKey> read_key_file(const std::filesystem::path& file, const std::string& what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot read " + what + " " + file.string() + ": " + std::strerror(errno));
  // The key is on the first line; reading a bounded head keeps a huge file
  // from being read whole (a longer line is not a key anyway).
  std::string text(kMaxKeyFileHead, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.starts_with("0x")) text.erase(0, 2);
  auto bytes = from_hex_fixed<32>(text);
  if (!bytes) return fail(what + " " + file.string() + " is not 64 hex characters: " + bytes.error().message);
  auto key = crypto::private_key_from_bytes(*bytes);
  if (!key) return fail(what + " " + file.string() + " is not a valid secp256k1 key: " + key.error().message);
  return key;
}

namespace {

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
  if (std::filesystem::exists(file, ec)) return read_key_file(file, "node key");
  const auto key = crypto::generate_private_key();
  auto written = write_new_key(file, key);
  if (!written) {
    // Another process may have won the race; its key is as good.
    if (std::filesystem::exists(file, ec)) return read_key_file(file, "node key");
    return Unexpected{written.error()};
  }
  return key;
}

std::string node_id_hex(const crypto::PublicKey& node_id) {
  return to_hex(node_id.xy);
}

}  // namespace tally::p2p
