#include "wallet/keystore_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "wallet/errors.hpp"

namespace tally::wallet {
namespace fs = std::filesystem;
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Closes a descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

void ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (!dir.parent_path().empty()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw WalletError("cannot create keystore folder " + dir.string() + ": " + errno_text());
  }
}

void write_all(int fd, std::string_view content, const fs::path& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw WalletError("cannot write " + path.string() + ": " + errno_text());
    done += static_cast<std::size_t>(n);
  }
}

void sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    throw WalletError("cannot sync folder " + dir.string() + ": " + errno_text());
  }
}

}  // namespace

void write_file_atomically(const fs::path& target, std::string_view content, bool overwrite) {
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  // Built by appending: GCC 12 at -O3 reports a false -Wrestrict for "." + string.
  std::string hidden_name(".");
  hidden_name.append(target.filename().string()).append(".tmp-XXXXXX");
  std::string temp_name = (dir / hidden_name).string();
  // mkstemp creates the file with mode 0600.
  Fd fd(::mkstemp(temp_name.data()));
  if (fd.get() < 0) throw WalletError("cannot create a file in " + dir.string() + ": " + errno_text());
  const fs::path temp(temp_name);
  try {
    write_all(fd.get(), content, target);
    if (::fsync(fd.get()) != 0) throw WalletError("cannot sync " + temp.string() + ": " + errno_text());
    if (::close(fd.release()) != 0) throw WalletError("cannot close " + temp.string() + ": " + errno_text());
    if (overwrite) {
      if (::rename(temp.c_str(), target.c_str()) != 0) {
        throw WalletError("cannot write " + target.string() + ": " + errno_text());
      }
    } else {
      // link() refuses an existing target, where rename() would replace it.
      if (::link(temp.c_str(), target.c_str()) != 0) {
        throw WalletError(errno == EEXIST ? target.string() + " already exists; not overwriting it"
                                          : "cannot write " + target.string() + ": " + errno_text());
      }
      ::unlink(temp.c_str());
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  sync_dir(dir);
}

std::string read_small_file(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw WalletError("cannot read " + path.string() + ": " + ec.message());
  if (size > max_bytes) {
    throw WalletError(path.string() + " is too large (" + std::to_string(size) + " bytes; at most " +
                      std::to_string(max_bytes) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw WalletError("cannot open " + path.string());
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (!in) throw WalletError("cannot read " + path.string());
  return text;
}

AccountListing KeystoreDir::list() const {
  AccountListing out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.starts_with(".")) continue;  // temp and hidden files
    files.push_back(entry.path());
  }
  if (ec) throw WalletError("cannot list keystore folder " + dir_.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::error_code size_ec;
    const auto size = fs::file_size(file, size_ec);
    if (size_ec || size > crypto::KeystoreLimits::kMaxFileBytes) {
      out.skipped.push_back(file);
      continue;
    }
    auto keystore = crypto::parse_keystore(read_small_file(file, crypto::KeystoreLimits::kMaxFileBytes));
    if (!keystore || !keystore->address) {
      out.skipped.push_back(file);
      continue;
    }
    out.accounts.push_back(AccountFile{*keystore->address, file});
  }
  return out;
}

std::optional<AccountFile> KeystoreDir::find(const Address& address) const {
  for (auto& account : list().accounts) {
    if (account.address == address) return account;
  }
  return std::nullopt;
}

fs::path KeystoreDir::store(const crypto::Keystore& keystore) const {
  if (!keystore.address) throw WalletError("internal: a keystore to store must carry its address");
  if (auto existing = find(*keystore.address)) {
    throw WalletError("account " + crypto::to_checksum_address(*keystore.address) + " is already in " +
                      existing->path.string());
  }
  ensure_private_dir(dir_);
  const fs::path target = dir_ / file_name_for(*keystore.address);
  write_file_atomically(target, crypto::serialize_keystore(keystore), /*overwrite=*/false);
  return target;
}

std::string KeystoreDir::file_name_for(const Address& address) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1'000'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[64];
  const std::size_t len = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%S", &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%09lldZ", static_cast<long long>(nanos));
  return "UTC--" + std::string(stamp, len) + fraction + "--" + to_hex(address);
}

}  // namespace tally::wallet
