// Fuzz target for the transaction decoder: arbitrary bytes must never crash
// decode(), validate_static() or recover_sender(); whatever decodes must
// re-encode to the input byte for byte, in the raw and block-body forms.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "chain/transaction.hpp"

namespace {

using tally::Bytes;
using tally::BytesView;
namespace chain = tally::chain;
namespace rlp = tally::rlp;

void check_block_form(const chain::Transaction& tx) {
  Bytes body;
  rlp::Encoder out(body);
  chain::append_in_list(out, tx);
  auto item = rlp::decode(body);
  if (!item) std::abort();
  auto again = chain::decode_in_list(*item);
  if (!again || !(*again == tx)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView input(data, size);
  auto tx = chain::decode(input);
  if (!tx) return 0;
  if (chain::encode(*tx) != Bytes(input.begin(), input.end())) std::abort();
  if (chain::encoded_size(*tx) != size) std::abort();
  check_block_form(*tx);
  (void)chain::validate_static(*tx, chain::TxRules{.chain_id = 1});
  (void)chain::intrinsic_gas(*tx);
  (void)chain::effective_gas_price(*tx, 7);
  (void)chain::effective_tip(*tx, 7);
  (void)chain::tx_hash(*tx);
  (void)chain::recover_sender(*tx);
  return 0;
}
