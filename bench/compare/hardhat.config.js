// The Hardhat node Tally's JSON-RPC intake is compared with: automine (one
// block per transaction, Hardhat's default), chain id 31337, and as many
// funded accounts of the default "test test ... junk" mnemonic as the
// benchmark's senders (BENCH_ACCOUNTS, set by bench/lib.sh).
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      mining: { auto: true },
      accounts: { count: Number(process.env.BENCH_ACCOUNTS || 20) },
    },
  },
};
