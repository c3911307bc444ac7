#include "wallet/amount.hpp"

#include <cctype>

namespace tally::wallet {
namespace {

struct Unit {
  std::string_view name;
  unsigned decimals;
};

// Longer names first: "gwei" also ends with "wei", "ether" is not "eth".
constexpr Unit kUnits[] = {{"gwei", 9}, {"wei", 0}, {"ether", 18}, {"eth", 18}};

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string format_units(const U256& wei, unsigned decimals) {
  std::string digits = u256_to_decimal(wei);
  if (decimals == 0) return digits;
  if (digits.size() <= decimals) digits.insert(0, decimals + 1 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - decimals);
  std::string fraction = digits.substr(digits.size() - decimals);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? whole : whole + "." + fraction;
}

}  // namespace

Result<U256> parse_amount(std::string_view input) {
  std::string_view text = trim(input);
  if (text.empty()) return fail("amount is empty: write e.g. 1.5 (ether), 30gwei or 21000wei");
  if (text.front() == '-') return fail("amount '" + std::string(input) + "' is negative");
  if (text.front() == '+') return fail("amount '" + std::string(input) + "': write it without a sign");
  unsigned decimals = 18;
  std::string_view unit_name = "ether";
  const std::string lowered = lower(text);
  for (const Unit& unit : kUnits) {
    if (lowered.size() > unit.name.size() && lowered.ends_with(unit.name)) {
      decimals = unit.decimals;
      unit_name = unit.name;
      text = trim(text.substr(0, text.size() - unit.name.size()));
      break;
    }
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return fail("amount '" + std::string(input) + "' has no digits");
  for (std::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return fail("amount '" + std::string(input) + "' is not a number: use digits, one '.', and an optional " +
                    "unit (wei, gwei, ether)");
      }
    }
  }
  if (fraction.size() > decimals) {
    return fail("amount '" + std::string(input) + "' has " + std::to_string(fraction.size()) + " decimals; " +
                std::string(unit_name) + " allows at most " + std::to_string(decimals));
  }
  std::string digits(whole);
  digits += fraction;
  digits.append(decimals - fraction.size(), '0');
  const auto first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  auto value = u256_from_decimal(digits);
  if (!value) return fail("amount '" + std::string(input) + "' is too large (the maximum is 2^256 - 1 wei)");
  return value;
}

std::string format_ether(const U256& wei) {
  return format_units(wei, 18);
}
std::string format_gwei(const U256& wei) {
  return format_units(wei, 9);
}

}  // namespace tally::wallet
