// Fuzz target for the RLP decoder: arbitrary bytes must never crash it or
// read out of bounds; whatever it accepts must be canonical, so re-encoding
// the decoded tree gives back the input byte for byte.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "chain/rlp.hpp"

namespace {

using tally::Bytes;
using tally::BytesView;
namespace rlp = tally::rlp;

// Re-encodes an item that decode() accepted (so its depth is bounded) and
// runs every typed reader on the strings, which must not crash.
void reencode(const rlp::Item& item, rlp::Encoder& out) {
  if (item.is_string()) {
    (void)rlp::read_uint64(item);
    (void)rlp::read_u256(item);
    (void)rlp::read_u256_be(item);
    (void)rlp::read_fixed<20>(item);
    (void)rlp::read_fixed<32>(item);
    out.string(item.payload);
    return;
  }
  auto reader = rlp::read_list(item);
  if (!reader) std::abort();
  const std::size_t marker = out.begin_list();
  while (!reader->at_end()) {
    auto child = reader->next();
    if (!child) std::abort();  // decode() checked every item
    reencode(*child, out);
  }
  out.end_list(marker);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView input(data, size);
  (void)rlp::read_item(input);
  auto item = rlp::decode(input);
  if (!item) return 0;
  if (!rlp::validate(input).ok()) std::abort();
  Bytes out;
  rlp::Encoder encoder(out);
  reencode(*item, encoder);
  if (out != Bytes(input.begin(), input.end())) std::abort();
  return 0;
}
