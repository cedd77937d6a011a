// Compiles every contract under contracts/ with the pinned solc-js and writes one artifact per
// contract to artifacts/ (ABI, creation and runtime bytecode). The Rust crates read only the
// committed artifacts, so building them never needs Node. `--check` compiles in memory and
// exits non-zero if a committed artifact differs from the fresh compile.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const contractsDir = join(root, "contracts");
const artifactsDir = join(root, "artifacts");
const check = process.argv.includes("--check");

function solidityFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? solidityFiles(join(dir, e.name)) : e.name.endsWith(".sol") ? [join(dir, e.name)] : []))
    .sort();
}

const sources = Object.fromEntries(
  solidityFiles(contractsDir).map((f) => [relative(contractsDir, f), { content: readFileSync(f, "utf8") }]),
);
const settings = {
  evmVersion: "prague",
  optimizer: { enabled: true, runs: 10000 },
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};
const output = JSON.parse(solc.compile(JSON.stringify({ language: "Solidity", sources, settings })));
// Warnings fail the build too: the contracts hold money.
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if ((output.errors ?? []).some((e) => e.severity !== "info")) process.exit(1);

let stale = [];
if (!check) mkdirSync(artifactsDir, { recursive: true });
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    // Interfaces have no code; internal libraries are inlined into the contracts using them.
    if (c.evm.bytecode.object.length === 0) continue;
    if (new RegExp(`\\blibrary\\s+${name}\\b`).test(sources[file].content)) continue;
    const artifact = JSON.stringify(
      {
        contractName: name,
        sourceName: file,
        compiler: `solc ${solc.version()}`,
        settings: { evmVersion: settings.evmVersion, optimizer: settings.optimizer },
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      },
      null,
      2,
    ) + "\n";
    const path = join(artifactsDir, `${name}.json`);
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== artifact) stale.push(relative(root, path));
    } else {
      writeFileSync(path, artifact);
    }
  }
}
if (check && stale.length > 0) {
  console.error(`committed artifacts differ from a fresh compile: ${stale.join(", ")}\nrun: (cd l1-contracts && npm run compile)`);
  process.exit(1);
}
console.log(check ? "artifacts: up to date" : `artifacts written to ${relative(process.cwd(), artifactsDir) || "."}`);
