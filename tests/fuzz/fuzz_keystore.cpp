// Fuzz target for the keystore JSON parser: arbitrary text must never crash
// it or make it allocate without bound; whatever it accepts must survive a
// serialize/parse round trip unchanged. Files with cheap KDF parameters are
// also decrypted (a wrong password must come back as an error, not a crash).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/keystore.hpp"

namespace {

using tally::crypto::KdfKind;
using tally::crypto::Keystore;

bool cheap_to_decrypt(const Keystore& keystore) {
  if (keystore.kdf == KdfKind::pbkdf2) return keystore.pbkdf2_iterations <= 64;
  return keystore.scrypt.n * keystore.scrypt.r * keystore.scrypt.p <= 256;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto keystore = tally::crypto::parse_keystore(text);
  if (!keystore) {
    if (keystore.error().message.empty()) std::abort();
    return 0;
  }
  auto again = tally::crypto::parse_keystore(tally::crypto::serialize_keystore(*keystore));
  if (!again || !(*again == *keystore)) std::abort();
  if (cheap_to_decrypt(*keystore)) (void)tally::crypto::decrypt_keystore(*keystore, "fuzz");
  return 0;
}
