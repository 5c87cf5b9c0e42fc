// ethers' Wallet only (EIP-712 signing with a dev key), in its own chunk: the page loads it the
// first time a dev key is picked, so the first render does not download or parse it.
export { Wallet } from "ethers";
