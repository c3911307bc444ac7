// Fuzz target for the stored receipts decoder (the datadir's form of a
// block's receipts): arbitrary bytes must never crash it; whatever decodes
// must re-encode to the input byte for byte, and must survive the consensus
// form's round trip unchanged (the two forms hold the same receipts).
// TallyFuzzSeedDecodes lets the replay driver check that the seeds decode.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "chain/block.hpp"

namespace {

using tally::Bytes;
using tally::BytesView;
namespace chain = tally::chain;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView input(data, size);
  auto receipts = chain::decode_stored_receipts(input);
  if (!receipts) return 0;
  if (chain::encode_stored_receipts(*receipts) != Bytes(input.begin(), input.end())) std::abort();
  auto consensus = chain::decode_receipts(chain::encode_receipts(*receipts));
  if (!consensus || *consensus != *receipts) std::abort();
  return 0;
}

extern "C" int TallyFuzzSeedDecodes(const std::uint8_t* data, std::size_t size) {
  return chain::decode_stored_receipts(BytesView(data, size)).ok() ? 1 : 0;
}
