#include "wallet/prompter.hpp"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "wallet/errors.hpp"

namespace tally::wallet {
namespace {

// The terminal settings to put back if Ctrl-C arrives while echo is off
// (tcsetattr is async-signal-safe); otherwise the shell would be left mute.
termios g_saved_terminal{};

extern "C" void restore_terminal_and_die(int signal_number) {
  (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  (void)std::signal(signal_number, SIG_DFL);
  (void)std::raise(signal_number);
}

// Turns terminal echo off for its lifetime (restored on every path out,
// Ctrl-C included).
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    g_saved_terminal = saved_;
    struct sigaction action {};
    action.sa_handler = restore_terminal_and_die;
    sigemptyset(&action.sa_mask);
    handler_set_ = ::sigaction(SIGINT, &action, &previous_) == 0;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    if (handler_set_) (void)::sigaction(SIGINT, &previous_, nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  struct sigaction previous_ {};
  bool active_ = false;
  bool handler_set_ = false;
};

std::string read_line(const std::string& what) {
  std::string line;
  if (!std::getline(std::cin, line)) {
    throw WalletError("no " + what + " given: standard input ended (use --password-file or a terminal)");
  }
  return strip_line_ending(std::move(line));
}

}  // namespace

std::string strip_line_ending(std::string line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

bool TerminalPrompter::interactive() const {
  return ::isatty(STDIN_FILENO) == 1;
}

std::string TerminalPrompter::secret(const std::string& prompt) {
  if (!interactive()) return read_line(prompt);
  std::cerr << prompt << ": " << std::flush;
  std::string line;
  {
    EchoOff quiet;
    line = read_line(prompt);
  }
  std::cerr << '\n';
  return line;
}

bool TerminalPrompter::confirm(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  answer = strip_line_ending(std::move(answer));
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace tally::wallet
