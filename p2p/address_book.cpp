#include "p2p/address_book.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace tally::p2p {

void AddressBook::add(const std::string& address, bool bootstrap) {
  auto it = entries_.find(address);
  if (it != entries_.end()) {
    it->second.bootstrap = it->second.bootstrap || bootstrap;
    return;
  }
  evict_if_full();
  entries_.emplace(address, AddressEntry{address, 0, 0, 0, bootstrap});
}

void AddressBook::remove(const std::string& address) {
  entries_.erase(address);
}

void AddressBook::mark_attempt(const std::string& address, std::int64_t now_ms) {
  auto it = entries_.find(address);
  if (it != entries_.end()) it->second.last_attempt_ms = now_ms;
}

void AddressBook::mark_success(const std::string& address, std::int64_t now_ms) {
  add(address);
  auto& entry = entries_.at(address);
  entry.last_seen_ms = now_ms;
  entry.failures = 0;
}

void AddressBook::mark_failure(const std::string& address, std::int64_t now_ms) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  it->second.last_attempt_ms = now_ms;
  if (it->second.failures < 64) ++it->second.failures;
}

std::optional<AddressEntry> AddressBook::find(const std::string& address) const {
  auto it = entries_.find(address);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

bool AddressBook::ready(const AddressEntry& entry, std::int64_t now_ms) const {
  if (entry.failures == 0) return true;
  const auto shift = std::min<std::uint32_t>(entry.failures - 1, 20);
  const auto wait = std::min<std::int64_t>(options_.backoff_base.count() << shift, options_.backoff_max.count());
  return now_ms - entry.last_attempt_ms >= wait;
}

std::vector<std::string> AddressBook::dial_candidates(std::int64_t now_ms, std::size_t max) const {
  std::vector<const AddressEntry*> ready_entries;
  for (const auto& [address, entry] : entries_) {
    if (ready(entry, now_ms)) ready_entries.push_back(&entry);
  }
  std::sort(ready_entries.begin(), ready_entries.end(), [](const AddressEntry* a, const AddressEntry* b) {
    if (a->failures != b->failures) return a->failures < b->failures;
    if (a->last_seen_ms != b->last_seen_ms) return a->last_seen_ms > b->last_seen_ms;
    return a->address < b->address;
  });
  std::vector<std::string> out;
  for (const auto* entry : ready_entries) {
    if (out.size() == max) break;
    out.push_back(entry->address);
  }
  return out;
}

std::vector<std::string> AddressBook::good_addresses(std::size_t max) const {
  std::vector<const AddressEntry*> good;
  for (const auto& [address, entry] : entries_) {
    if (entry.last_seen_ms > 0 && entry.failures == 0) good.push_back(&entry);
  }
  std::sort(good.begin(), good.end(),
            [](const AddressEntry* a, const AddressEntry* b) { return a->last_seen_ms > b->last_seen_ms; });
  std::vector<std::string> out;
  for (const auto* entry : good) {
    if (out.size() == max) break;
    out.push_back(entry->address);
  }
  return out;
}

void AddressBook::evict_if_full() {
  if (entries_.size() < options_.max_entries) return;
  const AddressEntry* worst = nullptr;
  for (const auto& [address, entry] : entries_) {
    if (entry.bootstrap) continue;
    if (worst == nullptr || entry.failures > worst->failures ||
        (entry.failures == worst->failures && entry.last_seen_ms < worst->last_seen_ms)) {
      worst = &entry;
    }
  }
  if (worst != nullptr) entries_.erase(worst->address);
}

Result<void> AddressBook::save(const std::filesystem::path& file) const {
  nlohmann::json list = nlohmann::json::array();
  std::vector<const AddressEntry*> sorted;
  for (const auto& [address, entry] : entries_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const AddressEntry* a, const AddressEntry* b) { return a->address < b->address; });
  for (const auto* entry : sorted) {
    list.push_back({{"address", entry->address},
                    {"last_seen_ms", entry->last_seen_ms},
                    {"failures", entry->failures},
                    {"bootstrap", entry->bootstrap}});
  }
  const nlohmann::json doc = {{"version", 1}, {"addresses", list}};
  // Write then rename, so a crash leaves the old file or the new one.
  const auto tmp = std::filesystem::path(file.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return fail("cannot write address book " + tmp.string());
    out << doc.dump(1) << '\n';
    out.flush();
    if (!out) return fail("cannot write address book " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return fail("cannot replace address book " + file.string() + ": " + ec.message());
  return {};
}

Result<void> AddressBook::load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  // Parsed whole, so its size is checked first: a book this node wrote
  // holds at most max_entries of well under 512 bytes each.
  const auto size = std::filesystem::file_size(file, ec);
  const std::uintmax_t limit = options_.max_entries * std::uintmax_t{512} + 4'096;
  if (ec) return fail("cannot read address book " + file.string() + ": " + ec.message());
  if (size > limit) {
    return fail("address book " + file.string() + " is " + std::to_string(size) + " bytes, more than a book of " +
                std::to_string(options_.max_entries) + " addresses can be (" + std::to_string(limit) + ")");
  }
  std::ifstream in(file);
  if (!in) return fail("cannot read address book " + file.string());
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("addresses") || !doc["addresses"].is_array()) {
    return fail("address book " + file.string() + " is not valid JSON of the expected shape");
  }
  for (const auto& item : doc["addresses"]) {
    if (!item.is_object() || !item.contains("address") || !item["address"].is_string()) continue;
    AddressEntry entry;
    entry.address = item["address"].get<std::string>();
    if (item.contains("last_seen_ms") && item["last_seen_ms"].is_number_integer()) {
      entry.last_seen_ms = item["last_seen_ms"].get<std::int64_t>();
    }
    if (item.contains("failures") && item["failures"].is_number_unsigned()) {
      entry.failures = static_cast<std::uint32_t>(std::min<std::uint64_t>(item["failures"].get<std::uint64_t>(), 64));
    }
    if (item.contains("bootstrap") && item["bootstrap"].is_boolean()) entry.bootstrap = item["bootstrap"].get<bool>();
    if (entries_.count(entry.address) != 0) continue;
    evict_if_full();
    entries_.emplace(entry.address, entry);
  }
  return {};
}

}  // namespace tally::p2p
