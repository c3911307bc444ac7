// ethers.js v6 against a real tallyd: what a dapp or script does first.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ethers } from "ethers";
import { DEV_KEYS, MINER, startNode } from "./tallyd.mjs";

const RECEIPT_TIMEOUT_MS = 60_000;

describe("ethers v6 on tallyd", () => {
  let node;
  let provider;
  let alice;
  let bob;

  before(async () => {
    node = await startNode();
    provider = new ethers.JsonRpcProvider(node.url, undefined, { staticNetwork: true, pollingInterval: 200 });
    alice = new ethers.Wallet(DEV_KEYS[0], provider);
    bob = new ethers.Wallet(DEV_KEYS[1], provider);
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
  });

  it("reads chain id, block number and dev balances", async () => {
    const network = await provider.getNetwork();
    assert.equal(network.chainId, 1337n);
    assert.equal(typeof (await provider.getBlockNumber()), "number");
    assert.equal(await provider.getBalance(alice.address), ethers.parseEther("10000"));
    assert.equal(await provider.getTransactionCount(alice.address), 0);
    assert.equal(await provider.getCode(alice.address), "0x");
  });

  it("sends an EIP-1559 transfer and gets its receipt", async () => {
    const to = ethers.Wallet.createRandom().address;
    const tx = await alice.sendTransaction({ to, value: ethers.parseEther("1.5") });
    assert.equal(tx.type, 2);
    const receipt = await tx.wait(1, RECEIPT_TIMEOUT_MS);
    assert.equal(receipt.status, 1);
    assert.equal(receipt.gasUsed, 21000n);
    assert.equal(receipt.to, to);
    assert.equal(receipt.from, alice.address);
    assert.equal(await provider.getBalance(to), ethers.parseEther("1.5"));

    const block = await provider.getBlock(receipt.blockNumber, true);
    assert.equal(block.hash, receipt.blockHash);
    assert.ok(block.transactions.includes(tx.hash));
    assert.equal(block.miner.toLowerCase(), MINER);
    assert.ok(block.baseFeePerGas > 0n);

    const fetched = await provider.getTransaction(tx.hash);
    assert.equal(fetched.hash, tx.hash);
    assert.equal(fetched.blockNumber, receipt.blockNumber);
    assert.equal(fetched.value, ethers.parseEther("1.5"));
  });

  it("sends a legacy transfer", async () => {
    const to = ethers.Wallet.createRandom().address;
    const feeData = await provider.getFeeData();
    const tx = await bob.sendTransaction({ to, value: 12345n, type: 0, gasPrice: feeData.gasPrice });
    assert.equal(tx.type, 0);
    const receipt = await tx.wait(1, RECEIPT_TIMEOUT_MS);
    assert.equal(receipt.status, 1);
    assert.equal(receipt.type, 0);
    assert.equal(await provider.getBalance(to), 12345n);
  });

  it("reports fee data", async () => {
    const fees = await provider.getFeeData();
    assert.ok(fees.gasPrice > 0n);
    assert.ok(fees.maxFeePerGas > 0n);
    assert.ok(fees.maxPriorityFeePerGas > 0n);
    const history = await provider.send("eth_feeHistory", ["0x4", "latest", [50]]);
    assert.ok(Array.isArray(history.baseFeePerGas));
    assert.equal(history.baseFeePerGas.length, history.gasUsedRatio.length + 1);
  });

  it("counts pending nonces and refuses bad transactions with Ethereum's messages", async () => {
    // Hold the miner so the transactions stay pending while we probe.
    await provider.send("miner_stop", []);
    const carol = new ethers.Wallet(DEV_KEYS[2], provider);
    const to = ethers.Wallet.createRandom().address;
    const start = await provider.getTransactionCount(carol.address, "pending");
    const fees = await provider.getFeeData();
    const base = { to, value: 1n, gasLimit: 21000n, chainId: 1337n, type: 2 };
    const first = await carol.signTransaction({
      ...base, nonce: start, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    const hash = await provider.send("eth_sendRawTransaction", [first]);
    assert.equal(hash, ethers.keccak256(first));
    await assert.rejects(provider.send("eth_sendRawTransaction", [first]), /already known/);

    const cheaper = await carol.signTransaction({
      ...base, nonce: start, value: 2n, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    await assert.rejects(provider.send("eth_sendRawTransaction", [cheaper]), /replacement transaction underpriced/);

    const tooMuch = await carol.signTransaction({
      ...base, nonce: start + 1, value: ethers.parseEther("1000000"),
      maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    await assert.rejects(provider.send("eth_sendRawTransaction", [tooMuch]), /insufficient funds/);

    // The node's own answer (ethers caches identical calls for 250 ms).
    assert.equal(Number(await provider.send("eth_getTransactionCount", [carol.address, "pending"])), start + 1);
    assert.equal(Number(await provider.send("eth_getTransactionCount", [carol.address, "latest"])), start);
    await provider.send("miner_start", []);
    await provider.waitForTransaction(hash, 1, RECEIPT_TIMEOUT_MS);
    assert.equal(await provider.getTransactionCount(carol.address, "latest"), start + 1);
    await assert.rejects(provider.send("eth_sendRawTransaction", [first]), /nonce too low|already known/);
    const wrongChain = await carol.signTransaction({ ...base, chainId: 1n, nonce: start + 1, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas });
    await assert.rejects(provider.send("eth_sendRawTransaction", [wrongChain]), /chain/);
    await assert.rejects(provider.send("eth_sendRawTransaction", ["0x1234"]), (e) => e.error?.code === -32000 || /invalid/i.test(e.message));
  });

  it("mines blocks on request (anvil_mine / evm_mine)", async () => {
    // eth_blockNumber itself: the provider caches getBlockNumber() briefly.
    const blockNumber = async () => Number(await provider.send("eth_blockNumber", []));
    // The node's own miner may still close the last transaction's block with
    // an empty one: stopped, it mines nothing more (miner_stop returns after
    // its last block), so the count below is exact.
    await provider.send("miner_stop", []);
    try {
      const before = await blockNumber();
      await provider.send("anvil_mine", ["0x2"]);
      await provider.send("evm_mine", []);
      assert.equal(await blockNumber(), before + 3);
    } finally {
      await provider.send("miner_start", []);
    }
  });

  it("sees new blocks through a WebSocket subscription", async () => {
    const ws = new ethers.WebSocketProvider(node.wsUrl, undefined, { staticNetwork: true });
    try {
      let notified = null;
      await ws.on("block", (number) => {
        notified = number;
      });
      // The subscription registers asynchronously: make blocks until one is
      // announced (bounded: 20 blocks).
      const start = await provider.getBlockNumber();
      for (let i = 0; i < 20 && notified === null; i++) {
        await provider.send("evm_mine", []);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.notEqual(notified, null, "no newHeads notification after 20 blocks");
      assert.ok(notified > start);
    } finally {
      await ws.destroy();
    }
  });
});
