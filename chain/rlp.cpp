#include "chain/rlp.hpp"

#include <cassert>
#include <string>

namespace tally::rlp {

namespace {

constexpr std::uint8_t kStringBase = 0x80;  // short string: 0x80 + length
constexpr std::uint8_t kListBase = 0xc0;    // short list: 0xc0 + length
constexpr std::size_t kShortLimit = 56;     // payloads below this use the short form

// Bytes needed to write `value` big-endian without leading zeros.
std::size_t byte_width(std::uint64_t value) noexcept {
  std::size_t n = 0;
  while (value != 0) {
    ++n;
    value >>= 8;
  }
  return n;
}

void put_be(Bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = width; i > 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * (i - 1))));
}

// Big-endian bytes of a U256 with leading zeros dropped, written into the
// tail of a 32-byte buffer; returns the view of the significant bytes.
BytesView minimal_be(const U256& value, Hash256& buffer) noexcept {
  if (value == 0) return {};
  const std::size_t width = boost::multiprecision::msb(value) / 8 + 1;
  boost::multiprecision::export_bits(value, buffer.data() + (buffer.size() - width), 8);
  return BytesView(buffer).subspan(buffer.size() - width);
}

BytesView strip_leading_zeros(BytesView bytes) noexcept {
  std::size_t skip = 0;
  while (skip < bytes.size() && bytes[skip] == 0) ++skip;
  return bytes.subspan(skip);
}

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0x0f];
}

Result<void> walk(const Item& item, std::size_t enclosing, std::size_t max_depth) noexcept {
  if (!item.is_list()) return {};
  const std::size_t level = enclosing + 1;
  if (level > max_depth) {
    return fail("RLP: lists nested deeper than the limit of " + std::to_string(max_depth) + " levels");
  }
  ListReader reader(item.payload);
  while (!reader.at_end()) {
    auto child = reader.next();
    if (!child) return Unexpected{child.error()};
    auto inner = walk(*child, level, max_depth);
    if (!inner) return inner;
  }
  return {};
}

Result<BytesView> integer_payload(const Item& item, std::size_t max_bytes, const char* width) noexcept {
  if (item.is_list()) return fail("RLP: expected an integer, found a list");
  if (!item.payload.empty() && item.payload[0] == 0) {
    return fail("RLP: integer has leading zero bytes (zero is encoded as 0x80, others without leading zeros)");
  }
  if (item.payload.size() > max_bytes) {
    return fail("RLP: integer of " + std::to_string(item.payload.size()) + " bytes is wider than " + width);
  }
  return item.payload;
}

}  // namespace

// ---------------------------------------------------------------- encoding

std::size_t length_of_header(std::size_t payload_length) noexcept {
  return payload_length < kShortLimit ? 1 : 1 + byte_width(payload_length);
}

std::size_t length_of_string(BytesView bytes) noexcept {
  if (bytes.size() == 1 && bytes[0] < kStringBase) return 1;
  return length_of_header(bytes.size()) + bytes.size();
}

std::size_t length_of_uint(std::uint64_t value) noexcept {
  return value < kStringBase ? 1 : 1 + byte_width(value);
}

std::size_t length_of_u256(const U256& value) noexcept {
  if (value < kStringBase) return 1;
  return 1 + boost::multiprecision::msb(value) / 8 + 1;
}

std::size_t length_of_uint_be(BytesView big_endian) noexcept {
  return length_of_string(strip_leading_zeros(big_endian));
}

void Encoder::header(std::uint8_t short_base, std::size_t payload_length) {
  if (payload_length < kShortLimit) {
    out_.push_back(static_cast<std::uint8_t>(short_base + payload_length));
    return;
  }
  const std::size_t width = byte_width(payload_length);
  out_.push_back(static_cast<std::uint8_t>(short_base + kShortLimit - 1 + width));
  put_be(out_, payload_length, width);
}

void Encoder::string(BytesView bytes) {
  if (bytes.size() == 1 && bytes[0] < kStringBase) {
    out_.push_back(bytes[0]);
    return;
  }
  header(kStringBase, bytes.size());
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void Encoder::uint(std::uint64_t value) {
  if (value == 0) {
    out_.push_back(kStringBase);
  } else if (value < kStringBase) {
    out_.push_back(static_cast<std::uint8_t>(value));
  } else {
    const std::size_t width = byte_width(value);
    out_.push_back(static_cast<std::uint8_t>(kStringBase + width));
    put_be(out_, value, width);
  }
}

void Encoder::u256(const U256& value) {
  Hash256 buffer{};
  string(minimal_be(value, buffer));
}

void Encoder::uint_be(BytesView big_endian) {
  string(strip_leading_zeros(big_endian));
}

void Encoder::string_header(std::size_t payload_length) {
  header(kStringBase, payload_length);
}

void Encoder::list_header(std::size_t payload_length) {
  header(kListBase, payload_length);
}

void Encoder::raw(BytesView encoded) {
  out_.insert(out_.end(), encoded.begin(), encoded.end());
}

std::size_t Encoder::begin_list() {
  const std::size_t marker = out_.size();
  out_.push_back(kListBase);  // placeholder for a short header, patched by end_list
  return marker;
}

void Encoder::end_list(std::size_t marker) {
  assert(marker < out_.size() && "end_list without a matching begin_list");
  const std::size_t payload_length = out_.size() - marker - 1;
  if (payload_length < kShortLimit) {
    out_[marker] = static_cast<std::uint8_t>(kListBase + payload_length);
    return;
  }
  const std::size_t width = byte_width(payload_length);
  out_[marker] = static_cast<std::uint8_t>(kListBase + kShortLimit - 1 + width);
  const auto at = out_.begin() + static_cast<std::ptrdiff_t>(marker + 1);
  out_.insert(at, width, 0);
  for (std::size_t i = 0; i < width; ++i) {
    out_[marker + 1 + i] = static_cast<std::uint8_t>(payload_length >> (8 * (width - 1 - i)));
  }
}

Bytes encode_string(BytesView bytes) {
  Bytes out;
  out.reserve(length_of_string(bytes));
  Encoder(out).string(bytes);
  return out;
}

Bytes encode_uint(std::uint64_t value) {
  Bytes out;
  Encoder(out).uint(value);
  return out;
}

Bytes encode_u256(const U256& value) {
  Bytes out;
  Encoder(out).u256(value);
  return out;
}

// ---------------------------------------------------------------- decoding

Result<Item> read_item(BytesView input) noexcept {
  if (input.empty()) return fail("RLP: input ends where an item was expected");
  const std::uint8_t prefix = input[0];
  if (prefix < kStringBase) return Item{Kind::string, input.first(1), input.first(1)};

  const Kind kind = prefix < kListBase ? Kind::string : Kind::list;
  const std::uint8_t base = kind == Kind::string ? kStringBase : kListBase;
  const auto code = static_cast<std::size_t>(prefix - base);  // 0..63
  std::size_t header_length = 1;
  std::size_t payload_length = 0;
  if (code < kShortLimit) {
    payload_length = code;
  } else {
    const std::size_t width = code - (kShortLimit - 1);  // 1..8 bytes of length
    if (input.size() - 1 < width) {
      return fail("RLP: input ends inside a " + std::to_string(width) + "-byte length field");
    }
    if (input[1] == 0) return fail("RLP: length of length has a leading zero byte");
    std::uint64_t declared = 0;
    for (std::size_t i = 0; i < width; ++i) declared = (declared << 8) | input[1 + i];
    if (declared < kShortLimit) {
      return fail("RLP: long form used for a payload of " + std::to_string(declared) +
                  " bytes (the short form is required below 56)");
    }
    header_length = 1 + width;
    if (declared > input.size() - header_length) {
      return fail("RLP: declared length " + std::to_string(declared) + " exceeds the " +
                  std::to_string(input.size() - header_length) + " bytes remaining");
    }
    payload_length = static_cast<std::size_t>(declared);
  }
  if (payload_length > input.size() - header_length) {
    return fail("RLP: declared length " + std::to_string(payload_length) + " exceeds the " +
                std::to_string(input.size() - header_length) + " bytes remaining");
  }
  const BytesView payload = input.subspan(header_length, payload_length);
  if (kind == Kind::string && payload_length == 1 && payload[0] < kStringBase) {
    return fail("RLP: single byte " + hex_byte(payload[0]) + " below 0x80 must be encoded as itself, not as 0x81" +
                hex_byte(payload[0]).substr(2));
  }
  return Item{kind, payload, input.first(header_length + payload_length)};
}

Result<Item> decode(BytesView input, std::size_t max_depth) noexcept {
  auto item = read_item(input);
  if (!item) return item;
  if (item->encoded.size() != input.size()) {
    return fail("RLP: " + std::to_string(input.size() - item->encoded.size()) +
                " trailing bytes after the top-level item");
  }
  auto checked = walk(*item, 0, max_depth);
  if (!checked) return Unexpected{checked.error()};
  return item;
}

Result<void> validate(BytesView input, std::size_t max_depth) noexcept {
  auto item = decode(input, max_depth);
  if (!item) return Unexpected{item.error()};
  return {};
}

Result<Item> ListReader::next() noexcept {
  if (rest_.empty()) return fail("RLP: list has fewer items than expected");
  auto item = read_item(rest_);
  if (item) rest_ = rest_.subspan(item->encoded.size());
  return item;
}

Result<std::size_t> ListReader::count() const noexcept {
  std::size_t n = 0;
  BytesView rest = rest_;
  while (!rest.empty()) {
    auto item = read_item(rest);
    if (!item) return Unexpected{item.error()};
    rest = rest.subspan(item->encoded.size());
    ++n;
  }
  return n;
}

Result<ListReader> read_list(const Item& item) noexcept {
  if (!item.is_list()) return fail("RLP: expected a list, found a string");
  return ListReader(item.payload);
}

Result<BytesView> read_bytes(const Item& item) noexcept {
  if (item.is_list()) return fail("RLP: expected a string, found a list");
  return item.payload;
}

Result<std::uint64_t> read_uint64(const Item& item) noexcept {
  auto payload = integer_payload(item, 8, "64 bits");
  if (!payload) return Unexpected{payload.error()};
  std::uint64_t value = 0;
  for (std::uint8_t b : *payload) value = (value << 8) | b;
  return value;
}

Result<U256> read_u256(const Item& item) noexcept {
  auto payload = integer_payload(item, 32, "256 bits");
  if (!payload) return Unexpected{payload.error()};
  U256 value = 0;
  if (!payload->empty()) boost::multiprecision::import_bits(value, payload->begin(), payload->end(), 8, true);
  return value;
}

Result<Hash256> read_u256_be(const Item& item) noexcept {
  auto payload = integer_payload(item, 32, "256 bits");
  if (!payload) return Unexpected{payload.error()};
  Hash256 out{};
  std::copy(payload->begin(), payload->end(), out.begin() + static_cast<std::ptrdiff_t>(32 - payload->size()));
  return out;
}

}  // namespace tally::rlp
