#include "wallet/keystore_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "crypto/address.hpp"
#include "crypto/hex.hpp"
#include "wallet/errors.hpp"
#include "wallet_test_util.hpp"

namespace tally::wallet {
namespace {

using test::TempDir;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr crypto::ScryptParams kFast{16, 8, 1};

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777U;
}

crypto::Keystore make_keystore() {
  return crypto::encrypt_key(crypto::generate_private_key(), "pw", kFast);
}

TEST(KeystoreDir, MissingFolderListsEmpty) {
  TempDir tmp;
  const KeystoreDir dir(tmp.path() / "nothing");
  EXPECT_TRUE(dir.list().accounts.empty());
  EXPECT_FALSE(dir.find(Address{}).has_value());
}

TEST(KeystoreDir, StoresWithPrivateModesAndGethNames) {
  TempDir tmp;
  const KeystoreDir dir(tmp.path() / "a" / "keystore");
  const crypto::Keystore keystore = make_keystore();
  const fs::path file = dir.store(keystore);
  EXPECT_EQ(mode_of(dir.path()), 0700U);
  EXPECT_EQ(mode_of(file), 0600U);
  EXPECT_TRUE(file.filename().string().starts_with("UTC--"));
  EXPECT_TRUE(file.filename().string().ends_with("--" + to_hex(*keystore.address)));
  // Nothing but the keystore file is left in the folder.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
  auto found = dir.find(*keystore.address);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->path, file);
}

TEST(KeystoreDir, RefusesASecondFileForTheSameAddress) {
  TempDir tmp;
  const KeystoreDir dir(tmp.path());
  const crypto::Keystore keystore = make_keystore();
  (void)dir.store(keystore);
  try {
    (void)dir.store(keystore);
    FAIL() << "stored twice";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already in"));
  }
  EXPECT_EQ(dir.list().accounts.size(), 1U);
}

TEST(KeystoreDir, ListsOldestFirstAndSkipsOtherFiles) {
  TempDir tmp;
  const KeystoreDir dir(tmp.path());
  const crypto::Keystore first = make_keystore();
  const crypto::Keystore second = make_keystore();
  (void)dir.store(first);
  (void)dir.store(second);
  std::ofstream(tmp.path() / "notes.txt") << "not a keystore";
  std::ofstream(tmp.path() / ".hidden.tmp-abc") << "{}";
  crypto::Keystore no_address = make_keystore();
  no_address.address.reset();
  std::ofstream(tmp.path() / "zz-no-address.json") << crypto::serialize_keystore(no_address);
  const AccountListing listing = dir.list();
  ASSERT_EQ(listing.accounts.size(), 2U);
  EXPECT_EQ(listing.accounts[0].address, *first.address);
  EXPECT_EQ(listing.accounts[1].address, *second.address);
  EXPECT_EQ(listing.skipped.size(), 2U);
}

TEST(AtomicWrite, NeverOverwritesUnlessAsked) {
  TempDir tmp;
  const fs::path target = tmp.path() / "file.json";
  write_file_atomically(target, "one", false);
  EXPECT_THROW(write_file_atomically(target, "two", false), WalletError);
  EXPECT_EQ(read_small_file(target, 100), "one");
  write_file_atomically(target, "three", true);
  EXPECT_EQ(read_small_file(target, 100), "three");
  EXPECT_EQ(mode_of(target), 0600U);
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator{}), 1);
}

TEST(AtomicWrite, MissingFolderIsAClearError) {
  TempDir tmp;
  try {
    write_file_atomically(tmp.path() / "no" / "such" / "file", "x", false);
    FAIL() << "wrote into a missing folder";
  } catch (const WalletError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create a file in"));
  }
}

TEST(ReadSmallFile, RefusesLargeAndMissingFiles) {
  TempDir tmp;
  std::ofstream(tmp.path() / "big") << std::string(200, 'x');
  EXPECT_THROW((void)read_small_file(tmp.path() / "big", 100), WalletError);
  EXPECT_THROW((void)read_small_file(tmp.path() / "missing", 100), WalletError);
}

}  // namespace
}  // namespace tally::wallet
