// Fuzz target for the PBFT decoders (consensus messages from peers, commit
// certificates from peers and disk, the replica's persisted state): arbitrary
// bytes must never crash them, and whatever decodes must re-encode to the
// input byte for byte (message ids depend on it).

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/persisted.hpp"
#include "crypto/keccak.hpp"

namespace pbft = tally::consensus::pbft;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tally::BytesView input(data, size);
  const tally::Bytes bytes(input.begin(), input.end());
  const pbft::Domain domain{1337, tally::crypto::keccak256(tally::as_bytes("fuzz genesis"))};

  if (auto message = pbft::decode_message(input, domain); message) {
    if (pbft::encode_message(*message) != bytes) std::abort();
    (void)pbft::message_id(input);
    (void)pbft::height_of(*message);
  }
  if (auto cert = pbft::decode_certificate(input, domain); cert) {
    if (pbft::encode_certificate(*cert) != bytes) std::abort();
  }
  if (auto state = pbft::decode_persisted(input, domain); state) {
    if (pbft::encode_persisted(*state) != bytes) std::abort();
  }
  return 0;
}
