#pragma once
// Small files that must survive a crash whole: written to a temporary beside
// the target, fsynced, renamed over it, and the directory fsynced, so after
// a crash at any instant the file holds the old bytes or the new ones.

#include <filesystem>
#include <optional>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace tally::node {

// Replaces `file` with `bytes`, durably (returns once the data is on disk).
Result<void> write_durably(const std::filesystem::path& file, BytesView bytes);
// The file's bytes; nullopt when it does not exist. A file larger than
// `max_bytes` is an error, found before anything is read.
Result<std::optional<Bytes>> read_if_exists(const std::filesystem::path& file, std::uintmax_t max_bytes);

}  // namespace tally::node
