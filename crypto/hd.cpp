#include "crypto/hd.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/provider.h>

#include <algorithm>
#include <stdexcept>

#include "crypto/bip39_english.hpp"
#include "crypto/sha256.hpp"

namespace tally::crypto {
namespace {

using Hash512 = std::array<std::uint8_t, 64>;

// ---- hashing helpers ------------------------------------------------------

Hash512 hmac_sha512(BytesView key, BytesView data) {
  Hash512 out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
          nullptr ||
      len != out.size()) {
    throw std::runtime_error("OpenSSL: HMAC-SHA512 failed");
  }
  return out;
}

// RIPEMD-160 is in OpenSSL 3's default provider since 3.0.7 (this machine has
// it there); older 3.0 builds keep it only in the legacy provider, which is
// then loaded into a private library context so global state is untouched.
class Ripemd160 {
 public:
  Ripemd160() {
    md_ = EVP_MD_fetch(nullptr, "RIPEMD160", nullptr);
    if (md_ != nullptr) return;
    ERR_clear_error();
    libctx_ = OSSL_LIB_CTX_new();
    if (libctx_ != nullptr) {
      legacy_ = OSSL_PROVIDER_load(libctx_, "legacy");
      md_ = EVP_MD_fetch(libctx_, "RIPEMD160", nullptr);
    }
    if (md_ == nullptr) {
      release();
      throw std::runtime_error(
          "OpenSSL: RIPEMD160 is unavailable (neither the default nor the legacy provider has it)");
    }
  }
  ~Ripemd160() { release(); }
  Ripemd160(const Ripemd160&) = delete;
  Ripemd160& operator=(const Ripemd160&) = delete;

  std::array<std::uint8_t, 20> hash(BytesView data) const {
    std::array<std::uint8_t, 20> out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md_, nullptr) != 1 || len != out.size()) {
      throw std::runtime_error("OpenSSL: RIPEMD160 digest failed");
    }
    return out;
  }

 private:
  void release() noexcept {
    EVP_MD_free(md_);
    if (legacy_ != nullptr) OSSL_PROVIDER_unload(legacy_);
    OSSL_LIB_CTX_free(libctx_);
    md_ = nullptr;
    legacy_ = nullptr;
    libctx_ = nullptr;
  }
  EVP_MD* md_ = nullptr;
  OSSL_LIB_CTX* libctx_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
};

// BIP-32 key identifier: RIPEMD160(SHA256(compressed public key)).
std::uint32_t fingerprint_of(const std::array<std::uint8_t, 33>& pub) {
  static const Ripemd160 ripemd;
  const auto id = ripemd.hash(sha256(pub));
  return static_cast<std::uint32_t>(id[0]) << 24 | static_cast<std::uint32_t>(id[1]) << 16 |
         static_cast<std::uint32_t>(id[2]) << 8 | static_cast<std::uint32_t>(id[3]);
}

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// ---- Base58Check ------------------------------------------------------------

constexpr char kBase58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

std::string base58_encode(BytesView data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // log(256) / log(58) < 1.37: digits needed for the rest, base 58, big-endian.
  std::vector<std::uint8_t> digits((data.size() - zeros) * 137 / 100 + 1, 0);
  std::size_t used = 0;  // digits in use, counted from the end
  for (std::size_t i = zeros; i < data.size(); ++i) {
    unsigned carry = data[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256U * *it;
      *it = static_cast<std::uint8_t>(carry % 58U);
      carry /= 58U;
    }
    used = j;
  }
  std::string out(zeros, '1');
  for (std::size_t k = digits.size() - used; k < digits.size(); ++k) out.push_back(kBase58[digits[k]]);
  return out;
}

std::string base58check(Bytes payload) {
  const Hash256 check = sha256d(payload);
  payload.insert(payload.end(), check.begin(), check.begin() + 4);
  return base58_encode(payload);
}

Bytes serialize_extended(const ExtendedKey& key, std::uint32_t version, BytesView key_data) {
  Bytes out;
  out.reserve(78);
  put_u32(out, version);
  out.push_back(key.depth);
  put_u32(out, key.parent_fingerprint);
  put_u32(out, key.child_number);
  append(out, key.chain_code);
  append(out, key_data);
  return out;
}

// ---- BIP-39 -----------------------------------------------------------------

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t pos = text.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    const std::size_t end = text.find_first_of(kSpace, pos);
    words.push_back(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    pos = end == std::string_view::npos ? end : text.find_first_not_of(kSpace, end);
  }
  return words;
}

int word_index(std::string_view word) {
  const auto it = std::lower_bound(kBip39English.begin(), kBip39English.end(), word);
  if (it == kBip39English.end() || *it != word) return -1;
  return static_cast<int>(it - kBip39English.begin());
}

// Words -> 11-bit values -> entropy, checking the checksum. On success returns
// the words joined by single spaces.
Result<std::string> check_mnemonic(std::string_view mnemonic) {
  const auto words = split_words(mnemonic);
  if (words.empty()) return fail("mnemonic is empty");
  std::vector<unsigned> values;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const int v = word_index(words[i]);
    if (v < 0) {
      return fail("unknown mnemonic word '" + std::string(words[i]) + "' (word " + std::to_string(i + 1) +
                  "): it is not in the BIP-39 English list");
    }
    values.push_back(static_cast<unsigned>(v));
  }
  const std::size_t n = words.size();
  if (n < 12 || n > 24 || n % 3 != 0) {
    return fail("mnemonic must have 12, 15, 18, 21 or 24 words, got " + std::to_string(n));
  }
  const std::size_t total_bits = n * 11;
  const std::size_t checksum_bits = total_bits / 33;
  const std::size_t entropy_bytes = (total_bits - checksum_bits) / 8;
  Bytes bits((total_bits + 7) / 8, 0);
  for (std::size_t b = 0; b < total_bits; ++b) {
    if ((values[b / 11] >> (10 - b % 11)) & 1U) bits[b / 8] |= static_cast<std::uint8_t>(0x80U >> (b % 8));
  }
  const BytesView entropy(bits.data(), entropy_bytes);
  const unsigned expected = static_cast<unsigned>(sha256(entropy)[0]) >> (8 - checksum_bits);
  const unsigned actual = static_cast<unsigned>(bits[entropy_bytes]) >> (8 - checksum_bits);
  if (expected != actual) return fail("invalid mnemonic checksum: a word is wrong or out of order");
  std::string joined;
  for (const auto w : words) {
    if (!joined.empty()) joined.push_back(' ');
    joined.append(w);
  }
  return joined;
}

}  // namespace

Result<std::string> mnemonic_from_entropy(BytesView entropy) {
  const std::size_t size = entropy.size();
  if (size < 16 || size > 32 || size % 4 != 0) {
    return fail("mnemonic entropy must be 16, 20, 24, 28 or 32 bytes, got " + std::to_string(size));
  }
  Bytes data = to_bytes(entropy);
  data.push_back(sha256(entropy)[0]);  // the checksum is its first size/4 bits
  const std::size_t words = (size * 8 + size / 4) / 11;
  std::string out;
  for (std::size_t w = 0; w < words; ++w) {
    unsigned index = 0;
    for (std::size_t b = w * 11; b < w * 11 + 11; ++b) {
      index = index << 1 | ((static_cast<unsigned>(data[b / 8]) >> (7 - b % 8)) & 1U);
    }
    if (w != 0) out.push_back(' ');
    out.append(kBip39English[index]);
  }
  return out;
}

Result<void> validate_mnemonic(std::string_view mnemonic) {
  auto checked = check_mnemonic(mnemonic);
  if (!checked) return Unexpected{checked.error()};
  return {};
}

std::array<std::uint8_t, 64> mnemonic_to_seed(std::string_view mnemonic, std::string_view passphrase) {
  const std::string salt = "mnemonic" + std::string(passphrase);
  std::array<std::uint8_t, 64> seed{};
  if (PKCS5_PBKDF2_HMAC(mnemonic.data(), static_cast<int>(mnemonic.size()), as_bytes(salt).data(),
                        static_cast<int>(salt.size()), 2048, EVP_sha512(), static_cast<int>(seed.size()),
                        seed.data()) != 1) {
    throw std::runtime_error("OpenSSL: PBKDF2-HMAC-SHA512 failed");
  }
  return seed;
}

Result<ExtendedKey> master_key_from_seed(BytesView seed) {
  if (seed.size() < 16 || seed.size() > 64) {
    return fail("BIP-32 seed must be 16 to 64 bytes, got " + std::to_string(seed.size()));
  }
  const Hash512 i = hmac_sha512(as_bytes("Bitcoin seed"), seed);
  auto key = private_key_from_bytes(BytesView(i.data(), 32));
  if (!key) return fail("this seed gives an invalid BIP-32 master key (" + key.error().message + ")");
  ExtendedKey master;
  master.key = *key;
  std::copy(i.begin() + 32, i.end(), master.chain_code.begin());
  return master;
}

Result<ExtendedKey> derive_child(const ExtendedKey& parent, std::uint32_t index) {
  if (parent.depth == 255) return fail("BIP-32 depth limit reached: a key at depth 255 has no children");
  const auto parent_pub = compressed_public_key_of(parent.key);
  Bytes data;
  data.reserve(37);
  if (index >= kHardened) {
    data.push_back(0x00);
    append(data, parent.key.bytes);
  } else {
    append(data, parent_pub);
  }
  put_u32(data, index);
  const Hash512 i = hmac_sha512(parent.chain_code, data);
  Hash256 tweak;
  std::copy(i.begin(), i.begin() + 32, tweak.begin());
  auto child_key = private_key_tweak_add(parent.key, tweak);
  if (!child_key) {
    return fail("BIP-32 child " + std::to_string(index) + " is invalid for this key (" + child_key.error().message +
                "); use the next index");
  }
  ExtendedKey child;
  child.key = *child_key;
  std::copy(i.begin() + 32, i.end(), child.chain_code.begin());
  child.depth = static_cast<std::uint8_t>(parent.depth + 1);
  child.parent_fingerprint = fingerprint_of(parent_pub);
  child.child_number = index;
  return child;
}

Result<std::vector<std::uint32_t>> parse_derivation_path(std::string_view path) {
  std::string quoted(1, '\'');
  quoted.append(path).push_back('\'');
  if (path.empty() || path[0] != 'm') {
    return fail("derivation path " + quoted + " must start with m (e.g. m/44'/60'/0'/0/0)");
  }
  std::vector<std::uint32_t> out;
  if (path.size() == 1) return out;
  if (path[1] != '/') return fail("derivation path " + quoted + ": expected '/' after m");
  std::string_view rest = path.substr(2);
  for (;;) {
    const std::size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    bool hardened = false;
    if (!part.empty() && (part.back() == '\'' || part.back() == 'h' || part.back() == 'H')) {
      hardened = true;
      part.remove_suffix(1);
    }
    if (part.empty()) return fail("derivation path " + quoted + " has an empty index");
    std::uint64_t value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9')
        return fail("derivation path " + quoted + ": '" + std::string(part) + "' is not a number");
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (value >= kHardened) {
        return fail("derivation path " + quoted + ": index " + std::string(part) + " is not below 2^31");
      }
    }
    out.push_back(static_cast<std::uint32_t>(value) | (hardened ? kHardened : 0U));
    if (out.size() > 255) return fail("derivation path " + quoted + " is deeper than 255 levels");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

Result<ExtendedKey> derive_path(const ExtendedKey& master, std::string_view path) {
  auto indices = parse_derivation_path(path);
  if (!indices) return Unexpected{indices.error()};
  ExtendedKey key = master;
  for (const std::uint32_t index : *indices) {
    auto child = derive_child(key, index);
    if (!child) return Unexpected{child.error()};
    key = *child;
  }
  return key;
}

std::string to_xprv(const ExtendedKey& key) {
  Bytes data{0x00};
  append(data, key.key.bytes);
  return base58check(serialize_extended(key, 0x0488ADE4U, data));
}

std::string to_xpub(const ExtendedKey& key) {
  return base58check(serialize_extended(key, 0x0488B21EU, compressed_public_key_of(key.key)));
}

Result<PrivateKey> dev_account_key(std::string_view mnemonic, std::uint32_t index, std::string_view passphrase) {
  if (index >= kHardened) return fail("account index " + std::to_string(index) + " is not below 2^31");
  auto normalized = check_mnemonic(mnemonic);
  if (!normalized) return Unexpected{normalized.error()};
  const auto seed = mnemonic_to_seed(*normalized, passphrase);
  auto master = master_key_from_seed(seed);
  if (!master) return Unexpected{master.error()};
  auto account = derive_path(*master, "m/44'/60'/0'/0/" + std::to_string(index));
  if (!account) return Unexpected{account.error()};
  return account->key;
}

}  // namespace tally::crypto
