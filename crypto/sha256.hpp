#pragma once
// SHA-256 through OpenSSL. sha256d is SHA-256 applied twice (Bitcoin's
// double hash, used by the proof-of-work seal).

#include "crypto/bytes.hpp"

namespace tally::crypto {

Hash256 sha256(BytesView data);
Hash256 sha256d(BytesView data);

}  // namespace tally::crypto
