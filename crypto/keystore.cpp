#include "crypto/keystore.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/keccak.hpp"

namespace tally::crypto {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kDerivedKeyBytes = 32;
constexpr std::string_view kWrongPassword = "wrong password or corrupt keystore";

// Derived key bytes wiped on every path out.
struct SecretBytes {
  Bytes bytes;
  ~SecretBytes() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  }
};

Unexpected field_error(std::string_view field, std::string_view what) {
  return fail("keystore: " + std::string(field) + " " + std::string(what));
}

Result<const Json*> member(const Json& object, std::string_view parent, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return field_error(std::string(parent) + name, "is missing");
  return &*it;
}

Result<const Json*> object_member(const Json& object, std::string_view parent, const char* name) {
  auto found = member(object, parent, name);
  if (!found) return found;
  if (!(*found)->is_object()) return field_error(std::string(parent) + name, "must be an object");
  return found;
}

Result<std::string> string_member(const Json& object, std::string_view parent, const char* name) {
  auto found = member(object, parent, name);
  if (!found) return Unexpected{found.error()};
  if (!(*found)->is_string()) return field_error(std::string(parent) + name, "must be a string");
  return (*found)->get<std::string>();
}

Result<std::uint64_t> uint_member(const Json& object, std::string_view parent, const char* name) {
  auto found = member(object, parent, name);
  if (!found) return Unexpected{found.error()};
  if (!(*found)->is_number_unsigned()) {
    return field_error(std::string(parent) + name, "must be a non-negative integer");
  }
  return (*found)->get<std::uint64_t>();
}

Result<Bytes> hex_member(const Json& object, std::string_view parent, const char* name) {
  auto text = string_member(object, parent, name);
  if (!text) return Unexpected{text.error()};
  auto bytes = from_hex(*text);
  if (!bytes) return field_error(std::string(parent) + name, "is not hex: " + bytes.error().message);
  return bytes;
}

Result<void> parse_scrypt_params(const Json& params, Keystore& out) {
  constexpr std::string_view kParent = "crypto.kdfparams.";
  auto n = uint_member(params, kParent, "n");
  if (!n) return Unexpected{n.error()};
  auto r = uint_member(params, kParent, "r");
  if (!r) return Unexpected{r.error()};
  auto p = uint_member(params, kParent, "p");
  if (!p) return Unexpected{p.error()};
  if (*n < 2 || (*n & (*n - 1)) != 0) return field_error("crypto.kdfparams.n", "must be a power of two >= 2");
  if (*r < 1 || *r > KeystoreLimits::kMaxScryptR) {
    return field_error("crypto.kdfparams.r", "must be 1.." + std::to_string(KeystoreLimits::kMaxScryptR));
  }
  if (*p < 1 || *p > KeystoreLimits::kMaxScryptP) {
    return field_error("crypto.kdfparams.p", "must be 1.." + std::to_string(KeystoreLimits::kMaxScryptP));
  }
  const ScryptParams sp{*n, static_cast<std::uint32_t>(*r), static_cast<std::uint32_t>(*p)};
  // n < 2^64 / (r * p) keeps the product below 2^64 before the bound check.
  if (sp.n > KeystoreLimits::kMaxScryptWork || sp.n * sp.r * sp.p > KeystoreLimits::kMaxScryptWork ||
      scrypt_memory_bytes(sp) > KeystoreLimits::kMaxScryptMemoryBytes) {
    return fail("keystore: scrypt parameters n=" + std::to_string(sp.n) + " r=" + std::to_string(sp.r) +
                " p=" + std::to_string(sp.p) + " exceed this wallet's limits (n*r*p <= 2^24, memory <= 1 GiB)");
  }
  out.kdf = KdfKind::scrypt;
  out.scrypt = sp;
  return {};
}

Result<void> parse_pbkdf2_params(const Json& params, Keystore& out) {
  constexpr std::string_view kParent = "crypto.kdfparams.";
  auto prf = string_member(params, kParent, "prf");
  if (!prf) return Unexpected{prf.error()};
  if (*prf != "hmac-sha256")
    return field_error("crypto.kdfparams.prf", "'" + *prf + "' is not supported (hmac-sha256 is)");
  auto c = uint_member(params, kParent, "c");
  if (!c) return Unexpected{c.error()};
  if (*c < 1 || *c > KeystoreLimits::kMaxPbkdf2Iterations) {
    return field_error("crypto.kdfparams.c", "must be 1.." + std::to_string(KeystoreLimits::kMaxPbkdf2Iterations));
  }
  out.kdf = KdfKind::pbkdf2;
  out.pbkdf2_iterations = *c;
  return {};
}

Result<void> parse_kdf(const Json& crypto, Keystore& out) {
  auto kdf = string_member(crypto, "crypto.", "kdf");
  if (!kdf) return Unexpected{kdf.error()};
  auto params = object_member(crypto, "crypto.", "kdfparams");
  if (!params) return Unexpected{params.error()};
  const Json& kp = **params;
  auto dklen = uint_member(kp, "crypto.kdfparams.", "dklen");
  if (!dklen) return Unexpected{dklen.error()};
  if (*dklen != kDerivedKeyBytes) return field_error("crypto.kdfparams.dklen", "must be 32");
  auto salt = hex_member(kp, "crypto.kdfparams.", "salt");
  if (!salt) return Unexpected{salt.error()};
  if (salt->size() > KeystoreLimits::kMaxSaltBytes) return field_error("crypto.kdfparams.salt", "is too long");
  out.salt = std::move(*salt);
  if (*kdf == "scrypt") return parse_scrypt_params(kp, out);
  if (*kdf == "pbkdf2") return parse_pbkdf2_params(kp, out);
  return field_error("crypto.kdf", "'" + *kdf + "' is not supported (scrypt and pbkdf2 are)");
}

Result<void> parse_cipher(const Json& crypto, Keystore& out) {
  auto cipher = string_member(crypto, "crypto.", "cipher");
  if (!cipher) return Unexpected{cipher.error()};
  if (*cipher != "aes-128-ctr") {
    return field_error("crypto.cipher", "'" + *cipher + "' is not supported (aes-128-ctr is)");
  }
  auto params = object_member(crypto, "crypto.", "cipherparams");
  if (!params) return Unexpected{params.error()};
  auto iv = hex_member(**params, "crypto.cipherparams.", "iv");
  if (!iv) return Unexpected{iv.error()};
  if (iv->size() != out.iv.size()) return field_error("crypto.cipherparams.iv", "must be 16 bytes");
  std::copy(iv->begin(), iv->end(), out.iv.begin());
  auto ciphertext = hex_member(crypto, "crypto.", "ciphertext");
  if (!ciphertext) return Unexpected{ciphertext.error()};
  if (ciphertext->empty() || ciphertext->size() > 32) return field_error("crypto.ciphertext", "must be 1..32 bytes");
  out.ciphertext = std::move(*ciphertext);
  auto mac = hex_member(crypto, "crypto.", "mac");
  if (!mac) return Unexpected{mac.error()};
  if (mac->size() != out.mac.size()) return field_error("crypto.mac", "must be 32 bytes");
  std::copy(mac->begin(), mac->end(), out.mac.begin());
  return {};
}

Result<void> parse_header(const Json& root, Keystore& out) {
  auto version = member(root, "", "version");
  if (!version) return Unexpected{version.error()};
  if (!(*version)->is_number_unsigned() || (*version)->get<std::uint64_t>() != 3) {
    return fail("keystore: version must be 3 (this is not a Web3 Secret Storage v3 file)");
  }
  if (auto id = root.find("id"); id != root.end()) {
    if (!id->is_string() || id->get_ref<const std::string&>().size() > 64) {
      return field_error("id", "must be a string of at most 64 characters");
    }
    out.id = id->get<std::string>();
  }
  if (auto address = root.find("address"); address != root.end()) {
    if (!address->is_string()) return field_error("address", "must be a string");
    auto parsed = from_hex_fixed<20>(address->get_ref<const std::string&>());
    if (!parsed) return field_error("address", "is not 20 bytes of hex");
    out.address = *parsed;
  }
  return {};
}

SecretBytes derive_key(const Keystore& keystore, std::string_view password) {
  SecretBytes derived;
  if (keystore.kdf == KdfKind::scrypt) {
    derived.bytes = scrypt(password, keystore.salt, keystore.scrypt, kDerivedKeyBytes);
    return derived;
  }
  derived.bytes.resize(kDerivedKeyBytes);
  if (password.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      keystore.pbkdf2_iterations > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("keystore: PBKDF2 input out of range");
  }
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), keystore.salt.data(),
                        static_cast<int>(keystore.salt.size()), static_cast<int>(keystore.pbkdf2_iterations),
                        EVP_sha256(), static_cast<int>(kDerivedKeyBytes), derived.bytes.data()) != 1) {
    throw std::runtime_error("OpenSSL: PKCS5_PBKDF2_HMAC failed");
  }
  return derived;
}

Hash256 compute_mac(const SecretBytes& derived, BytesView ciphertext) {
  Keccak256 hasher;
  hasher.update(BytesView(derived.bytes).subspan(16, 16));
  hasher.update(ciphertext);
  return hasher.finish();
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

// AES-128-CTR is its own inverse: the same call encrypts and decrypts.
Bytes aes128_ctr(const SecretBytes& derived, const std::array<std::uint8_t, 16>& iv, BytesView input) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("OpenSSL: EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, derived.bytes.data(), iv.data()) != 1) {
    throw std::runtime_error("OpenSSL: EVP_EncryptInit_ex(aes-128-ctr) failed");
  }
  Bytes out(input.size() + 16);
  int written = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &written, input.data(), static_cast<int>(input.size())) != 1) {
    throw std::runtime_error("OpenSSL: EVP_EncryptUpdate(aes-128-ctr) failed");
  }
  int final_written = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_written) != 1) {
    throw std::runtime_error("OpenSSL: EVP_EncryptFinal_ex(aes-128-ctr) failed");
  }
  out.resize(static_cast<std::size_t>(written + final_written));
  if (out.size() != input.size()) throw std::runtime_error("OpenSSL: aes-128-ctr changed the data length");
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> random_array() {
  std::array<std::uint8_t, N> out{};
  if (RAND_bytes(out.data(), static_cast<int>(N)) != 1) throw std::runtime_error("OpenSSL: RAND_bytes failed");
  return out;
}

Keystore encrypt_with(Keystore keystore, const PrivateKey& key, std::string_view password) {
  const auto iv = random_array<16>();
  keystore.iv = iv;
  keystore.id = random_uuid_v4();
  keystore.address = address_of(public_key_of(key));
  const SecretBytes derived = derive_key(keystore, password);
  keystore.ciphertext = aes128_ctr(derived, keystore.iv, key.bytes);
  keystore.mac = compute_mac(derived, keystore.ciphertext);
  return keystore;
}

}  // namespace

Result<Keystore> parse_keystore(std::string_view json_text) {
  if (json_text.size() > KeystoreLimits::kMaxFileBytes) return fail("keystore: file is larger than 64 KiB");
  const Json root = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return fail("keystore: not valid JSON");
  if (!root.is_object()) return fail("keystore: the top level must be a JSON object");
  Keystore out;
  if (auto header = parse_header(root, out); !header) return Unexpected{header.error()};
  // geth reads "Crypto" too (MyEtherWallet wrote it so); both at once is ambiguous.
  const bool lower = root.contains("crypto");
  const bool upper = root.contains("Crypto");
  if (lower && upper) return fail("keystore: both 'crypto' and 'Crypto' are present");
  auto crypto = object_member(root, "", upper ? "Crypto" : "crypto");
  if (!crypto) return Unexpected{crypto.error()};
  if (auto kdf = parse_kdf(**crypto, out); !kdf) return Unexpected{kdf.error()};
  if (auto cipher = parse_cipher(**crypto, out); !cipher) return Unexpected{cipher.error()};
  return out;
}

std::string serialize_keystore(const Keystore& keystore) {
  Json kdfparams = {{"dklen", kDerivedKeyBytes}, {"salt", to_hex(keystore.salt)}};
  if (keystore.kdf == KdfKind::scrypt) {
    kdfparams["n"] = keystore.scrypt.n;
    kdfparams["r"] = keystore.scrypt.r;
    kdfparams["p"] = keystore.scrypt.p;
  } else {
    kdfparams["c"] = keystore.pbkdf2_iterations;
    kdfparams["prf"] = "hmac-sha256";
  }
  Json root = {
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"ciphertext", to_hex(keystore.ciphertext)},
        {"cipherparams", {{"iv", to_hex(keystore.iv)}}},
        {"kdf", keystore.kdf == KdfKind::scrypt ? "scrypt" : "pbkdf2"},
        {"kdfparams", std::move(kdfparams)},
        {"mac", to_hex(keystore.mac)}}},
      {"id", keystore.id},
      {"version", 3},
  };
  if (keystore.address) root["address"] = to_hex(*keystore.address);
  return root.dump();
}

Result<PrivateKey> decrypt_keystore(const Keystore& keystore, std::string_view password) {
  const SecretBytes derived = derive_key(keystore, password);
  const Hash256 mac = compute_mac(derived, keystore.ciphertext);
  if (CRYPTO_memcmp(mac.data(), keystore.mac.data(), mac.size()) != 0) return fail(std::string(kWrongPassword));
  SecretBytes plain;
  plain.bytes = aes128_ctr(derived, keystore.iv, keystore.ciphertext);
  // Left-pad: a few tools wrote keys with leading zero bytes dropped.
  Bytes padded(32 - plain.bytes.size(), 0);
  append(padded, plain.bytes);
  auto key = private_key_from_bytes(padded);
  OPENSSL_cleanse(padded.data(), padded.size());
  if (!key) return fail("keystore: the decrypted private key is invalid (" + key.error().message + ")");
  if (keystore.address && *keystore.address != address_of(public_key_of(*key))) {
    return fail("keystore: the file's address field (0x" + to_hex(*keystore.address) +
                ") does not match its key; the file was edited or is corrupt");
  }
  return key;
}

Result<PrivateKey> decrypt_keystore(std::string_view json_text, std::string_view password) {
  auto keystore = parse_keystore(json_text);
  if (!keystore) return Unexpected{keystore.error()};
  return decrypt_keystore(*keystore, password);
}

Keystore encrypt_key(const PrivateKey& key, std::string_view password, const ScryptParams& params) {
  Keystore keystore;
  keystore.kdf = KdfKind::scrypt;
  keystore.scrypt = params;
  const auto salt = random_array<32>();
  keystore.salt.assign(salt.begin(), salt.end());
  return encrypt_with(std::move(keystore), key, password);
}

Keystore encrypt_key_pbkdf2(const PrivateKey& key, std::string_view password, std::uint64_t iterations) {
  Keystore keystore;
  keystore.kdf = KdfKind::pbkdf2;
  keystore.pbkdf2_iterations = iterations;
  const auto salt = random_array<32>();
  keystore.salt.assign(salt.begin(), salt.end());
  return encrypt_with(std::move(keystore), key, password);
}

std::string random_uuid_v4() {
  auto bytes = random_array<16>();
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0FU) | 0x40U);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3FU) | 0x80U);  // RFC 4122 variant
  const std::string hex = to_hex(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace tally::crypto
