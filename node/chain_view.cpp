#include "node/chain_view.hpp"

namespace tally::node {

std::uint64_t ChainView::safe_number() const {
  if (chain_.engine().has_finality()) return chain_.finalized_number();
  const std::uint64_t head = chain_.head().number;
  return head > safe_depth_ ? head - safe_depth_ : 0;
}

std::uint64_t ChainView::finalized_number() const {
  // Without finality, "finalized" is as deep as "safe": the deepest block
  // the node vouches for (geth on a PoW chain answers the same way).
  if (!chain_.engine().has_finality()) return safe_number();
  return chain_.finalized_number();
}

}  // namespace tally::node
