#include "crypto/sha256.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "crypto/hex.hpp"

namespace tally::crypto {
namespace {

TEST(Sha256, NistKnownAnswers) {
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256d, KnownAnswers) {
  // sha256(sha256("")) and sha256(sha256("abc")).
  EXPECT_EQ(to_hex(sha256d({})), "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
  EXPECT_EQ(to_hex(sha256d(as_bytes("abc"))), "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
}

TEST(Sha256d, IsSha256Twice) {
  const std::string input(40, 'x');  // the proof-of-work input size
  EXPECT_EQ(sha256d(as_bytes(input)), sha256(sha256(as_bytes(input))));
}

TEST(Sha256, ReusedContextGivesIndependentResults) {
  const Hash256 abc = sha256(as_bytes("abc"));
  (void)sha256(as_bytes(std::string(1000, 'q')));
  EXPECT_EQ(sha256(as_bytes("abc")), abc);
}

TEST(Sha256, ThreadsHashConcurrently) {
  const Hash256 expected = sha256d(as_bytes("abc"));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (std::size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 1000; ++i) good += sha256d(as_bytes("abc")) == expected ? 1 : 0;
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (const int good : ok) EXPECT_EQ(good, 1000);
}

}  // namespace
}  // namespace tally::crypto
