#pragma once
// Where the wallet gets secrets (passwords, a private key, a mnemonic) and
// confirmations. The terminal implementation reads stdin: without echo when
// stdin is a terminal, one line at a time when it is a pipe (so scripts can
// feed "key\npassword\n"). Tests script their own.

#include <string>

namespace tally::wallet {

class Prompter {
 public:
  virtual ~Prompter() = default;
  // One line, without its line ending. Throws WalletError when input has ended.
  virtual std::string secret(const std::string& prompt) = 0;
  // Whether the user answered yes.
  virtual bool confirm(const std::string& question) = 0;
  // Whether a person is there to type (ask new passwords twice only then).
  virtual bool interactive() const = 0;
};

// stdin/stderr; echo turned off with termios while a secret is typed.
class TerminalPrompter final : public Prompter {
 public:
  std::string secret(const std::string& prompt) override;
  bool confirm(const std::string& question) override;
  bool interactive() const override;
};

// Strips one trailing "\n" or "\r\n". Only the line ending: a password may
// begin or end with spaces (geth keeps them too).
std::string strip_line_ending(std::string line);

}  // namespace tally::wallet
