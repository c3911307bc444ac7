#include "crypto/hd.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/address.hpp"
#include "crypto/bip39_english.hpp"
#include "crypto/hex.hpp"
#include "crypto/sha256.hpp"

namespace tally::crypto {
namespace {

using ::testing::HasSubstr;

nlohmann::json load(const std::string& relative) {
  std::ifstream in(std::string(TALLY_VECTORS_DIR) + "/" + relative);
  if (!in) throw std::runtime_error("missing vector file " + relative);
  return nlohmann::json::parse(in);
}

std::string address_of_key(const PrivateKey& key) {
  return to_checksum_address(address_of(public_key_of(key)));
}

TEST(Bip39, WordlistIsTheStandardFile) {
  // SHA-256 of bip-0039/english.txt (one word per line, final newline).
  std::string file;
  for (const auto word : kBip39English) file.append(word).push_back('\n');
  EXPECT_EQ(to_hex(sha256(as_bytes(file))), "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda");
}

// trezor/python-mnemonic vectors: entropy -> mnemonic -> seed ("TREZOR") -> xprv.
TEST(Bip39, TrezorVectors) {
  const auto vectors = load("bip39/vectors.json").at("english");
  ASSERT_EQ(vectors.size(), 24U);
  for (const auto& v : vectors) {
    const std::string entropy_hex = v.at(0);
    const std::string mnemonic = v.at(1);
    const std::string seed_hex = v.at(2);
    const std::string xprv = v.at(3);
    SCOPED_TRACE(mnemonic);
    const auto from_entropy = mnemonic_from_entropy(*from_hex(entropy_hex));
    ASSERT_TRUE(from_entropy.ok()) << from_entropy.error().message;
    EXPECT_EQ(*from_entropy, mnemonic);
    EXPECT_TRUE(validate_mnemonic(mnemonic).ok());
    const auto seed = mnemonic_to_seed(mnemonic, "TREZOR");
    EXPECT_EQ(to_hex(seed), seed_hex);
    const auto master = master_key_from_seed(seed);
    ASSERT_TRUE(master.ok());
    EXPECT_EQ(to_xprv(*master), xprv);
  }
}

// BIP-32 test vectors 1 and 2: every chain of every seed, both serializations.
TEST(Bip32, SpecVectors) {
  const auto vectors = load("bip32/vectors.json").at("vectors");
  ASSERT_EQ(vectors.size(), 2U);
  std::size_t chains = 0;
  for (const auto& v : vectors) {
    const auto master = master_key_from_seed(*from_hex(v.at("seed").get<std::string>()));
    ASSERT_TRUE(master.ok());
    for (const auto& chain : v.at("chains")) {
      const std::string path = chain.at("path");
      SCOPED_TRACE(v.at("name").get<std::string>() + " " + path);
      const auto key = derive_path(*master, path);
      ASSERT_TRUE(key.ok()) << key.error().message;
      EXPECT_EQ(to_xprv(*key), chain.at("ext_prv").get<std::string>());
      EXPECT_EQ(to_xpub(*key), chain.at("ext_pub").get<std::string>());
      ++chains;
    }
  }
  EXPECT_EQ(chains, 12U);
}

TEST(Bip32, StepwiseDerivationEqualsPath) {
  const auto master = master_key_from_seed(*from_hex("000102030405060708090a0b0c0d0e0f"));
  ASSERT_TRUE(master.ok());
  auto a = derive_child(*master, kHardened + 0);
  ASSERT_TRUE(a.ok());
  auto b = derive_child(*a, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->depth, 2);
  EXPECT_EQ(b->child_number, 1U);
  EXPECT_EQ(to_xprv(*b), to_xprv(*derive_path(*master, "m/0'/1")));
  EXPECT_EQ(to_xprv(*b), to_xprv(*derive_path(*master, "m/0h/1")));
}

TEST(Bip32, RefusesBadSeedsAndDepthOverflow) {
  EXPECT_FALSE(master_key_from_seed(Bytes(15, 1)).ok());
  EXPECT_THAT(master_key_from_seed(Bytes(65, 1)).error().message, HasSubstr("16 to 64 bytes"));
  EXPECT_TRUE(master_key_from_seed(Bytes(16, 1)).ok());
  EXPECT_TRUE(master_key_from_seed(Bytes(64, 1)).ok());
  ExtendedKey deep = *master_key_from_seed(Bytes(32, 7));
  deep.depth = 255;
  const auto child = derive_child(deep, 0);
  ASSERT_FALSE(child.ok());
  EXPECT_THAT(child.error().message, HasSubstr("depth"));
}

TEST(Hd, DevMnemonicGivesHardhatAccounts) {
  ASSERT_TRUE(validate_mnemonic(kDevMnemonic).ok());
  const auto k0 = dev_account_key(kDevMnemonic, 0);
  const auto k1 = dev_account_key(kDevMnemonic, 1);
  ASSERT_TRUE(k0.ok());
  ASSERT_TRUE(k1.ok());
  EXPECT_EQ(to_hex(k0->bytes), "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  EXPECT_EQ(address_of_key(*k0), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  EXPECT_EQ(address_of_key(*k1), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
}

TEST(Hd, DevAccountKeyNormalizesWhitespaceAndRefusesBadInput) {
  const auto spaced = dev_account_key("  test test\ttest test test test\ntest test test test test   junk ", 0);
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(*spaced, *dev_account_key(kDevMnemonic, 0));
  EXPECT_FALSE(dev_account_key("test test test test test test test test test test test test", 0).ok());
  EXPECT_FALSE(dev_account_key(kDevMnemonic, kHardened).ok());
  EXPECT_NE(*dev_account_key(kDevMnemonic, 0, "passphrase"), *dev_account_key(kDevMnemonic, 0));
}

TEST(Bip39, RefusesUnknownWord) {
  const auto r = validate_mnemonic("test test test test test test test test test test test junkk");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("'junkk'"));
  EXPECT_THAT(r.error().message, HasSubstr("word 12"));
  EXPECT_FALSE(validate_mnemonic("Test test test test test test test test test test test junk").ok());
}

TEST(Bip39, RefusesBadChecksum) {
  const auto r = validate_mnemonic("test test test test test test test test test test test test");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("checksum"));
  // Two words swapped.
  EXPECT_FALSE(validate_mnemonic("legal winner thank year wave sausage worth useful legal winner yellow thank").ok());
}

TEST(Bip39, RefusesWrongWordCount) {
  const auto r = validate_mnemonic("test test test test test test test test test test junk");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("got 11"));
  EXPECT_FALSE(validate_mnemonic("").ok());
  EXPECT_FALSE(validate_mnemonic("   ").ok());
  std::string twenty_seven;
  for (int i = 0; i < 27; ++i) twenty_seven += "abandon ";
  EXPECT_THAT(validate_mnemonic(twenty_seven).error().message, HasSubstr("got 27"));
}

TEST(Bip39, RefusesBadEntropyLength) {
  EXPECT_FALSE(mnemonic_from_entropy(Bytes(15, 0)).ok());
  EXPECT_FALSE(mnemonic_from_entropy(Bytes(17, 0)).ok());
  EXPECT_FALSE(mnemonic_from_entropy(Bytes(36, 0)).ok());
  EXPECT_TRUE(mnemonic_from_entropy(Bytes(32, 0)).ok());
}

TEST(DerivationPath, ParsesHardenedMarks) {
  const auto p = parse_derivation_path("m/44'/60h/0H/0/7");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::uint32_t>{kHardened + 44, kHardened + 60, kHardened, 0, 7}));
  EXPECT_TRUE(parse_derivation_path("m")->empty());
  EXPECT_EQ(*parse_derivation_path("m/2147483647'"), std::vector<std::uint32_t>{0xFFFFFFFFU});
}

TEST(DerivationPath, RefusesMalformedPaths) {
  for (const char* bad : {"", "m/", "44'/60", "m/x", "m//0", "m/0/", "M/0", "m0", "m/-1", "m/+1", "m/ 1", "m/1''",
                          "m/'", "m/1x", "m/2147483648", "m/2147483648'", "m/99999999999999999999"}) {
    EXPECT_FALSE(parse_derivation_path(bad).ok()) << "accepted '" << bad << "'";
  }
  EXPECT_THAT(parse_derivation_path("m/2147483648").error().message, HasSubstr("2^31"));
  EXPECT_THAT(parse_derivation_path("m/x").error().message, HasSubstr("'x' is not a number"));
  EXPECT_THAT(parse_derivation_path("44'/60").error().message, HasSubstr("must start with m"));
  const auto master = master_key_from_seed(Bytes(32, 3));
  EXPECT_FALSE(derive_path(*master, "m/").ok());
}

}  // namespace
}  // namespace tally::crypto
