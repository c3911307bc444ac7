#include "crypto/keystore.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "crypto/scrypt.hpp"

namespace tally::crypto {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

Json load(const std::string& relative) {
  std::ifstream in(std::string(TALLY_VECTORS_DIR) + "/" + relative);
  if (!in) throw std::runtime_error("missing vector file " + relative);
  return Json::parse(in);
}

PrivateKey key_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  Bytes padded(32 - bytes->size(), 0);
  append(padded, *bytes);
  return *private_key_from_bytes(padded);
}

const PrivateKey& test_key() {
  static const PrivateKey key = key_from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
  return key;
}

// A valid light keystore's JSON, for the malformed-input table to edit.
const Json& light_keystore_json() {
  static const Json json = Json::parse(serialize_keystore(encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1})));
  return json;
}

// ---------------------------------------------------------------- scrypt

TEST(Scrypt, Rfc7914Vectors) {
  EXPECT_EQ(to_hex(scrypt("", {}, ScryptParams{16, 1, 1}, 64)),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(to_hex(scrypt("password", as_bytes("NaCl"), ScryptParams{1024, 8, 16}, 64)),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(Scrypt, PortableImplementationMatchesRfcVectorsAndOpenSsl) {
  EXPECT_EQ(to_hex(scrypt_portable("", {}, ScryptParams{16, 1, 1}, 64)),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(to_hex(scrypt_portable("password", as_bytes("NaCl"), ScryptParams{1024, 8, 16}, 64)),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  for (const ScryptParams params : {ScryptParams{2, 1, 1}, ScryptParams{256, 2, 3}, ScryptParams{64, 5, 2}}) {
    EXPECT_EQ(scrypt_portable("pw", as_bytes("salt"), params, 32), scrypt("pw", as_bytes("salt"), params, 32))
        << params.n << " " << params.r << " " << params.p;
  }
}

TEST(Scrypt, RefusesInvalidParameters) {
  EXPECT_THROW((void)scrypt("pw", {}, ScryptParams{3, 8, 1}, 32), std::invalid_argument);
  EXPECT_THROW((void)scrypt("pw", {}, ScryptParams{1, 8, 1}, 32), std::invalid_argument);
  EXPECT_THROW((void)scrypt("pw", {}, ScryptParams{16, 0, 1}, 32), std::invalid_argument);
  EXPECT_THROW((void)scrypt("pw", {}, ScryptParams{16, 8, 0}, 32), std::invalid_argument);
  EXPECT_THROW((void)scrypt("pw", {}, ScryptParams{16, 1U << 15, 1U << 15}, 32), std::invalid_argument);
}

TEST(Scrypt, MemoryEstimate) {
  EXPECT_EQ(scrypt_memory_bytes(kScryptStandard), 128ULL * 8 * (262144 + 1));
  EXPECT_EQ(scrypt_memory_bytes(ScryptParams{~0ULL, 8, 1}), ~0ULL);
}

// ---------------------------------------------------------------- published vectors

TEST(KeystoreVectors, WebSecretStorageV3) {
  const Json vectors = load("keystore/v3_test_vector.json");
  ASSERT_EQ(vectors.size(), 4U);
  for (const auto& [name, test] : vectors.items()) {
    SCOPED_TRACE(name);
    auto key = decrypt_keystore(test["json"].dump(), test["password"].get<std::string>());
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(*key, key_from_hex(test["priv"].get<std::string>()));
    // A wrong password is refused by the MAC (skipping the one slow KDF).
    if (name == "wikipage_test_vector_scrypt") continue;
    auto wrong = decrypt_keystore(test["json"].dump(), test["password"].get<std::string>() + "x");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().message, "wrong password or corrupt keystore");
  }
}

TEST(KeystoreVectors, ParsesKdfParametersOfTheWikiVectors) {
  const Json vectors = load("keystore/v3_test_vector.json");
  auto scrypt_file = parse_keystore(vectors["wikipage_test_vector_scrypt"]["json"].dump());
  ASSERT_TRUE(scrypt_file.ok()) << scrypt_file.error().message;
  EXPECT_EQ(scrypt_file->kdf, KdfKind::scrypt);
  EXPECT_EQ(scrypt_file->scrypt, (ScryptParams{262144, 1, 8}));
  EXPECT_EQ(scrypt_file->id, "3198bc9c-6672-5ab3-d995-4942343ae5b6");
  EXPECT_FALSE(scrypt_file->address.has_value());
  auto pbkdf2_file = parse_keystore(vectors["wikipage_test_vector_pbkdf2"]["json"].dump());
  ASSERT_TRUE(pbkdf2_file.ok()) << pbkdf2_file.error().message;
  EXPECT_EQ(pbkdf2_file->kdf, KdfKind::pbkdf2);
  EXPECT_EQ(pbkdf2_file->pbkdf2_iterations, 262144U);
}

TEST(KeystoreVectors, GethVeryLightScryptFileWithAddress) {
  const std::string path = std::string(TALLY_VECTORS_DIR) + "/keystore/very-light-scrypt.json";
  std::string text(static_cast<std::size_t>(std::filesystem::file_size(path)), '\0');
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.read(text.data(), static_cast<std::streamsize>(text.size())));
  auto keystore = parse_keystore(text);
  ASSERT_TRUE(keystore.ok()) << keystore.error().message;
  ASSERT_TRUE(keystore->address.has_value());
  EXPECT_EQ(to_hex(*keystore->address), "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8");
  auto key = decrypt_keystore(*keystore, "");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(address_of(public_key_of(*key)), *keystore->address);
}

TEST(KeystoreVectors, VersionOneFileIsRefusedClearly) {
  const Json vectors = load("keystore/v1_test_vector.json");
  auto result = parse_keystore(vectors["test1"]["json"].dump());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("version must be 3"));
}

// ---------------------------------------------------------------- round trips

TEST(Keystore, ScryptRoundTripThroughJson) {
  const Keystore made = encrypt_key(test_key(), "correct horse", kScryptLight);
  EXPECT_EQ(made.scrypt, kScryptLight);
  ASSERT_TRUE(made.address.has_value());
  EXPECT_EQ(*made.address, address_of(public_key_of(test_key())));
  const std::string text = serialize_keystore(made);
  auto parsed = parse_keystore(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, made);
  auto key = decrypt_keystore(text, "correct horse");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, test_key());
}

TEST(Keystore, WritesTheFieldsGethWrites) {
  const Json json = Json::parse(serialize_keystore(encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1})));
  EXPECT_EQ(json["version"], 3);
  EXPECT_EQ(json["address"], to_hex(address_of(public_key_of(test_key()))));
  EXPECT_EQ(json["crypto"]["cipher"], "aes-128-ctr");
  EXPECT_EQ(json["crypto"]["kdf"], "scrypt");
  EXPECT_EQ(json["crypto"]["kdfparams"]["dklen"], 32);
  EXPECT_EQ(json["crypto"]["kdfparams"]["n"], 16);
  EXPECT_EQ(json["crypto"]["kdfparams"]["salt"].get<std::string>().size(), 64U);
  EXPECT_EQ(json["crypto"]["cipherparams"]["iv"].get<std::string>().size(), 32U);
  EXPECT_EQ(json["crypto"]["ciphertext"].get<std::string>().size(), 64U);
  EXPECT_EQ(json["crypto"]["mac"].get<std::string>().size(), 64U);
}

TEST(Keystore, FreshSaltIvAndIdEachTime) {
  const Keystore a = encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1});
  const Keystore b = encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1});
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.iv, b.iv);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.ciphertext, b.ciphertext);
}

TEST(Keystore, Pbkdf2RoundTrip) {
  const Keystore made = encrypt_key_pbkdf2(test_key(), "pw", 1000);
  auto key = decrypt_keystore(serialize_keystore(made), "pw");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, test_key());
}

TEST(Keystore, EmptyAndUnicodePasswords) {
  for (const std::string password : {"", "p\xC3\xA4ssw\xC3\xB6rd \xF0\x9F\x94\x91"}) {
    const std::string text = serialize_keystore(encrypt_key(test_key(), password, ScryptParams{16, 8, 1}));
    auto key = decrypt_keystore(text, password);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(*key, test_key());
  }
}

TEST(Keystore, UuidIsVersion4) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(std::regex_match(random_uuid_v4(), shape));
}

// ---------------------------------------------------------------- failures

TEST(Keystore, WrongPasswordIsRefused) {
  const std::string text = serialize_keystore(encrypt_key(test_key(), "right", ScryptParams{16, 8, 1}));
  auto key = decrypt_keystore(text, "wrong");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "wrong password or corrupt keystore");
}

TEST(Keystore, TamperedMacOrCiphertextIsRefused) {
  const Keystore good = encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1});
  Keystore bad_mac = good;
  bad_mac.mac[5] ^= 0x01;
  EXPECT_EQ(decrypt_keystore(bad_mac, "pw").error().message, "wrong password or corrupt keystore");
  Keystore bad_ciphertext = good;
  bad_ciphertext.ciphertext[0] ^= 0x80;
  EXPECT_EQ(decrypt_keystore(bad_ciphertext, "pw").error().message, "wrong password or corrupt keystore");
  Keystore bad_salt = good;
  bad_salt.salt[0] ^= 0x80;
  EXPECT_EQ(decrypt_keystore(bad_salt, "pw").error().message, "wrong password or corrupt keystore");
}

TEST(Keystore, AddressFieldMustMatchTheKey) {
  Keystore keystore = encrypt_key(test_key(), "pw", ScryptParams{16, 8, 1});
  (*keystore.address)[19] ^= 0x01;
  auto key = decrypt_keystore(keystore, "pw");
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.error().message, HasSubstr("does not match its key"));
}

struct BadFile {
  const char* name;
  std::function<void(Json&)> edit;
  const char* expected;
};

TEST(Keystore, MalformedFilesGiveFieldErrors) {
  const std::vector<BadFile> cases = {
      {"version 1", [](Json& j) { j["version"] = 1; }, "version must be 3"},
      {"version string", [](Json& j) { j["version"] = "3"; }, "version must be 3"},
      {"no version", [](Json& j) { j.erase("version"); }, "version is missing"},
      {"no crypto", [](Json& j) { j.erase("crypto"); }, "crypto is missing"},
      {"crypto array", [](Json& j) { j["crypto"] = Json::array(); }, "crypto must be an object"},
      {"both cases", [](Json& j) { j["Crypto"] = j["crypto"]; }, "both 'crypto' and 'Crypto'"},
      {"cipher", [](Json& j) { j["crypto"]["cipher"] = "aes-128-cbc"; }, "'aes-128-cbc' is not supported"},
      {"kdf", [](Json& j) { j["crypto"]["kdf"] = "argon2"; }, "'argon2' is not supported"},
      {"n not power of 2", [](Json& j) { j["crypto"]["kdfparams"]["n"] = 1000; }, "power of two"},
      {"n negative", [](Json& j) { j["crypto"]["kdfparams"]["n"] = -16; }, "non-negative integer"},
      {"n string", [](Json& j) { j["crypto"]["kdfparams"]["n"] = "16"; }, "non-negative integer"},
      {"n float", [](Json& j) { j["crypto"]["kdfparams"]["n"] = 16.5; }, "non-negative integer"},
      {"n huge", [](Json& j) { j["crypto"]["kdfparams"]["n"] = 1ULL << 40; }, "exceed this wallet's limits"},
      {"memory huge", [](Json& j) { j["crypto"]["kdfparams"]["n"] = 1 << 22; }, "exceed this wallet's limits"},
      {"work huge", [](Json& j) { j["crypto"]["kdfparams"]["p"] = 64, j["crypto"]["kdfparams"]["n"] = 1 << 18; },
       "exceed this wallet's limits"},
      {"r zero", [](Json& j) { j["crypto"]["kdfparams"]["r"] = 0; }, "r must be 1..64"},
      {"p huge", [](Json& j) { j["crypto"]["kdfparams"]["p"] = 1000000; }, "p must be 1..64"},
      {"dklen", [](Json& j) { j["crypto"]["kdfparams"]["dklen"] = 16; }, "dklen must be 32"},
      {"salt hex", [](Json& j) { j["crypto"]["kdfparams"]["salt"] = "zz"; }, "salt is not hex"},
      {"salt long", [](Json& j) { j["crypto"]["kdfparams"]["salt"] = std::string(600, 'a'); }, "salt is too long"},
      {"iv short", [](Json& j) { j["crypto"]["cipherparams"]["iv"] = "00"; }, "iv must be 16 bytes"},
      {"no iv", [](Json& j) { j["crypto"]["cipherparams"].erase("iv"); }, "iv is missing"},
      {"ciphertext long", [](Json& j) { j["crypto"]["ciphertext"] = std::string(66, 'a'); }, "1..32 bytes"},
      {"ciphertext empty", [](Json& j) { j["crypto"]["ciphertext"] = ""; }, "1..32 bytes"},
      {"mac short", [](Json& j) { j["crypto"]["mac"] = "abcd"; }, "mac must be 32 bytes"},
      {"address", [](Json& j) { j["address"] = "1234"; }, "address is not 20 bytes"},
      {"id", [](Json& j) { j["id"] = 7; }, "id must be a string"},
      {"pbkdf2 prf",
       [](Json& j) {
         j["crypto"]["kdf"] = "pbkdf2";
         j["crypto"]["kdfparams"] = {{"c", 10}, {"dklen", 32}, {"prf", "hmac-sha512"}, {"salt", "00"}};
       },
       "'hmac-sha512' is not supported"},
      {"pbkdf2 c huge",
       [](Json& j) {
         j["crypto"]["kdf"] = "pbkdf2";
         j["crypto"]["kdfparams"] = {{"c", 1ULL << 30}, {"dklen", 32}, {"prf", "hmac-sha256"}, {"salt", "00"}};
       },
       "c must be 1.."},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    Json json = light_keystore_json();
    bad.edit(json);
    auto result = parse_keystore(json.dump());
    ASSERT_FALSE(result.ok());
    EXPECT_THAT(result.error().message, HasSubstr(bad.expected));
    EXPECT_EQ(result.error().message.rfind("keystore: ", 0), 0U) << result.error().message;
  }
}

TEST(Keystore, NotJsonOrWrongShape) {
  EXPECT_THAT(parse_keystore("").error().message, HasSubstr("not valid JSON"));
  EXPECT_THAT(parse_keystore("{\"version\": 3,").error().message, HasSubstr("not valid JSON"));
  EXPECT_THAT(parse_keystore("[1,2]").error().message, HasSubstr("must be a JSON object"));
  EXPECT_THAT(parse_keystore(std::string(70 * 1024, ' ')).error().message, HasSubstr("larger than 64 KiB"));
}

TEST(Keystore, CapitalCryptoFieldIsAccepted) {
  Json json = light_keystore_json();
  json["Crypto"] = json["crypto"];
  json.erase("crypto");
  auto key = decrypt_keystore(json.dump(), "pw");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, test_key());
}

}  // namespace
}  // namespace tally::crypto
