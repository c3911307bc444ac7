// Fuzz target for the p2p message decoders: the first byte picks the message
// type, the rest is its payload. Nothing may crash; whatever decodes must
// re-encode to the input byte for byte.
// TallyFuzzSeedDecodes lets the replay driver check that the seeds decode.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "p2p/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const tally::BytesView payload(data + 1, size - 1);
  if (!tally::p2p::max_payload_bytes(data[0])) return 0;
  const auto type = static_cast<tally::p2p::MessageType>(data[0]);
  if (auto message = tally::p2p::decode_message(type, payload)) {
    if (tally::p2p::type_of(*message) != type) std::abort();
    if (tally::p2p::encode_payload(*message) != tally::Bytes(payload.begin(), payload.end())) std::abort();
  }
  return 0;
}

extern "C" int TallyFuzzSeedDecodes(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || !tally::p2p::max_payload_bytes(data[0])) return 0;
  const auto type = static_cast<tally::p2p::MessageType>(data[0]);
  return tally::p2p::decode_message(type, tally::BytesView(data + 1, size - 1)).ok() ? 1 : 0;
}
