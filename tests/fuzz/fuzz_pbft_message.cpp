// Fuzz target for the PBFT decoders (consensus messages from peers, commit
// certificates from peers and disk, the replica's persisted state): arbitrary
// bytes must never crash them, and whatever decodes must re-encode to the
// input byte for byte (message ids depend on it).
// TallyFuzzSeedDecodes lets the replay driver check that the seeds decode.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "consensus/pbft/certificate.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/persisted.hpp"
#include "crypto/keccak.hpp"

namespace pbft = tally::consensus::pbft;

namespace {

pbft::Domain fuzz_domain() {
  return {1337, tally::crypto::keccak256(tally::as_bytes("fuzz genesis"))};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tally::BytesView input(data, size);
  const tally::Bytes bytes(input.begin(), input.end());
  const pbft::Domain domain = fuzz_domain();

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

// 1 when one of the three decoders accepts the input.
extern "C" int TallyFuzzSeedDecodes(const std::uint8_t* data, std::size_t size) {
  const tally::BytesView input(data, size);
  const pbft::Domain domain = fuzz_domain();
  return pbft::decode_message(input, domain).ok() || pbft::decode_certificate(input, domain).ok() ||
                 pbft::decode_persisted(input, domain).ok()
             ? 1
             : 0;
}
