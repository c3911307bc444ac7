// Fuzz target for the pool journal's record framing ([4-byte big-endian
// length][raw transaction], node/tx_journal.hpp), the one file a node reads
// back into its pool at start: any bytes must neither crash the reader nor
// make it allocate past one record's bound, and the records it returns,
// framed again, must be exactly the prefix of the input it consumed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "chain/transaction.hpp"
#include "node/tx_journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file(reinterpret_cast<const char*>(data), size);  // NOLINT
  std::istringstream in(file);
  std::string reframed;
  const std::size_t count = tally::node::TxJournal::read_records(in, [&](tally::Bytes raw) {
    if (raw.empty() || raw.size() > tally::node::TxJournal::kMaxRecordBytes) std::abort();
    for (int shift = 24; shift >= 0; shift -= 8) reframed.push_back(static_cast<char>((raw.size() >> shift) & 0xFFU));
    reframed.append(raw.begin(), raw.end());
    (void)tally::chain::decode(raw);  // what the node does next with a record (through submit_raw)
  });
  if (file.compare(0, reframed.size(), reframed) != 0) std::abort();
  if (count == 0 && !reframed.empty()) std::abort();
  return 0;
}
