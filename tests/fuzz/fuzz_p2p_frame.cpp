// Fuzz target for the p2p frame reader: arbitrary bytes read as a stream of
// frames must never crash or allocate past a frame's cap; every frame whose
// payload decodes as its message must re-encode to the same bytes.
// TallyFuzzSeedDecodes lets the replay driver check that the seeds decode.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "p2p/frame.hpp"
#include "p2p/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tally::BytesView rest(data, size);
  for (int frames = 0; frames < 64 && !rest.empty(); ++frames) {
    bool incomplete = false;
    auto decoded = tally::p2p::decode_frame(rest, &incomplete);
    if (!decoded) break;
    const auto& frame = decoded->frame;
    if (auto message = tally::p2p::decode_message(frame.type, frame.payload)) {
      const auto again = tally::p2p::encode_message(*message);
      if (tally::Bytes(again.begin(), again.end()) !=
          tally::Bytes(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(decoded->consumed))) {
        std::abort();
      }
    }
    rest = rest.subspan(decoded->consumed);
  }
  return 0;
}

// 1 when the input is one or more whole frames, each a message that decodes.
extern "C" int TallyFuzzSeedDecodes(const std::uint8_t* data, std::size_t size) {
  tally::BytesView rest(data, size);
  if (rest.empty()) return 0;
  while (!rest.empty()) {
    auto decoded = tally::p2p::decode_frame(rest);
    if (!decoded || !tally::p2p::decode_message(decoded->frame.type, decoded->frame.payload)) return 0;
    rest = rest.subspan(decoded->consumed);
  }
  return 1;
}
