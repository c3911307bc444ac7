// tally-wallet against a real tallyd: the README's walkthrough (new account,
// dev account from the mnemonic, send, mine, balance, tx) and its bad-input
// answers. TALLY_WALLET names the binary (set by ctest).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode } from "./tallyd.mjs";

const DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const MNEMONIC = "test test test test test test test test test test test junk";
const WEI_PER_ETHER = 10n ** 18n;
const BLOCK_REWARD = 2n * WEI_PER_ETHER; // the dev genesis

describe("tally-wallet on tallyd", () => {
  let node;
  let home;
  let keystore;
  let passwordFile;
  let mine; // the new account

  // Runs the wallet with --json; returns {code, json, stderr}.
  const wallet = (args, { rpc = node.url, input } = {}) => {
    const binary = process.env.TALLY_WALLET;
    if (!binary) throw new Error("set TALLY_WALLET to the tally-wallet binary");
    const result = spawnSync(
      binary,
      [...args, "--json", "--keystore", keystore, "--password-file", passwordFile, "--rpc", rpc],
      { encoding: "utf8", input, timeout: 120_000 },
    );
    let json = null;
    try {
      json = JSON.parse(result.stdout);
    } catch {
      // left null: the assertion on it says what came out
    }
    return { code: result.status, json, stdout: result.stdout, stderr: result.stderr };
  };
  const balanceWei = (address) => {
    const out = wallet(["balance", address]);
    assert.equal(out.code, 0, out.stderr);
    return BigInt(out.json.accounts[0].balance.wei);
  };

  before(async () => {
    // The node's own miner mines while transactions wait; the wallet mines
    // empty blocks through eth_getWork.
    node = await startNode();
    home = mkdtempSync(join(tmpdir(), "tally-wallet-"));
    keystore = join(home, "keystore");
    passwordFile = join(home, "password");
    writeFileSync(passwordFile, "correct horse\n");
    writeFileSync(join(home, "words"), MNEMONIC + "\n");
  });

  after(async () => {
    await node?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("creates an account and imports the first dev account", () => {
    const created = wallet(["new", "--light"]);
    assert.equal(created.code, 0, created.stderr);
    mine = created.json.address;
    assert.match(mine, /^0x[0-9a-fA-F]{40}$/);
    const imported = wallet(["import", "mnemonic", "--file", join(home, "words"), "--index", "0", "--light"]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.json.address, DEV0);
    assert.equal(imported.json.derivationPath, "m/44'/60'/0'/0/0");
    const listed = wallet(["list"]);
    assert.deepEqual(listed.json.accounts.map((a) => a.address).sort(), [DEV0, mine].sort());
  });

  it("shows the dev balance", () => {
    assert.equal(balanceWei(DEV0), 10_000n * WEI_PER_ETHER);
    assert.equal(balanceWei(mine), 0n);
  });

  it("sends 1.5 ether and waits for the receipt", () => {
    const sent = wallet(["send", "--from", DEV0, "--to", mine, "--value", "1.5", "--yes", "--data", "invoice 42"]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.json.status, "success");
    assert.equal(sent.json.type, "eip1559");
    assert.equal(sent.json.value.wei, (15n * WEI_PER_ETHER / 10n).toString());
    assert.ok(sent.json.blockNumber >= 1);
    const fee = BigInt(sent.json.fee.wei);
    assert.ok(fee > 0n);
    assert.equal(balanceWei(mine), 15n * WEI_PER_ETHER / 10n);
    assert.equal(balanceWei(DEV0), 10_000n * WEI_PER_ETHER - 15n * WEI_PER_ETHER / 10n - fee);

    const shown = wallet(["tx", sent.json.hash]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.json.status, "success");
    assert.equal(shown.json.blockNumber, sent.json.blockNumber);
    assert.equal(shown.json.to, mine);
  });

  it("mines two blocks to the new account", () => {
    const before = balanceWei(mine);
    const mined = wallet(["mine", "--blocks", "2", "--threads", "1", "--to", mine]);
    assert.equal(mined.code, 0, mined.stderr);
    assert.equal(mined.json.found, 2);
    assert.equal(mined.json.beneficiary, mine);
    assert.equal(mined.json.blockNumbers.length, 2);
    // Empty blocks: the reward alone.
    assert.equal(balanceWei(mine), before + 2n * BLOCK_REWARD);
  });

  it("refuses bad input with a one-line error and the right exit code", () => {
    const badAddress = wallet(["balance", "0x1234"]);
    assert.equal(badAddress.code, 1);
    assert.match(badAddress.stderr, /^error: .+\n$/);
    const badChecksum = wallet(["balance", DEV0.replace("f39Fd6", "F39fd6")]);
    assert.equal(badChecksum.code, 1);
    const tooPrecise = wallet(["send", "--from", DEV0, "--to", mine, "--value", "0.0000000000000000001", "--yes"]);
    assert.equal(tooPrecise.code, 1);
    assert.match(tooPrecise.stderr, /decimals/);
    const unknown = wallet(["send", "--from", "0x000000000000000000000000000000000000dEaD", "--to", mine, "--value", "1", "--yes"]);
    assert.equal(unknown.code, 1);
    const unreachable = wallet(["balance", DEV0], { rpc: "http://127.0.0.1:9" });
    assert.equal(unreachable.code, 3);
    assert.match(unreachable.stderr, /cannot reach node/);
    const tooMuch = wallet(["send", "--from", mine, "--to", DEV0, "--value", "1000000", "--yes"]);
    assert.equal(tooMuch.code, 4);
    assert.match(tooMuch.stderr, /insufficient funds/);
    assert.equal(tooMuch.json.error.exitCode, 4);
  });

  it("refuses a wrong password and leaves the keystore file unchanged", () => {
    const files = readdirSync(keystore).filter((name) => !name.startsWith("."));
    const contents = files.map((name) => readFileSync(join(keystore, name), "utf8"));
    const wrong = join(home, "wrong-password");
    writeFileSync(wrong, "battery staple\n");
    const result = spawnSync(
      process.env.TALLY_WALLET,
      ["send", "--from", DEV0, "--to", mine, "--value", "1", "--yes", "--json", "--keystore", keystore,
        "--password-file", wrong, "--rpc", node.url],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(result.status, 1);
    assert.match(result.stderr, /wrong password/);
    assert.deepEqual(readdirSync(keystore).filter((name) => !name.startsWith(".")), files);
    assert.deepEqual(files.map((name) => readFileSync(join(keystore, name), "utf8")), contents);
    assert.equal(balanceWei(mine) > 0n, true);
  });
});
