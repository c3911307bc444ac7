// Fuzz target for the block decoders: arbitrary bytes decoded as a block, a
// header, a body, a receipt and a receipt list must never crash; whatever
// decodes must re-encode to the input byte for byte.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "chain/block.hpp"

namespace {

using tally::Bytes;
using tally::BytesView;
namespace chain = tally::chain;

void same(const Bytes& encoded, BytesView input) {
  if (encoded != Bytes(input.begin(), input.end())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView input(data, size);
  if (auto block = chain::decode_block(input)) {
    same(chain::encode_block(*block), input);
    (void)chain::block_hash(*block);
    (void)chain::transactions_root(block->transactions);
  }
  if (auto header = chain::decode_header(input)) {
    same(chain::encode_header(*header), input);
    if (!header->seal.empty()) (void)chain::encode_header_omitting_seal(*header, 1);
  }
  if (auto body = chain::decode_body(input)) same(chain::encode_body(*body), input);
  if (auto receipt = chain::decode_receipt(input)) same(chain::encode_receipt(*receipt), input);
  if (auto receipts = chain::decode_receipts(input)) {
    same(chain::encode_receipts(*receipts), input);
    (void)chain::receipts_root(*receipts);
  }
  return 0;
}
