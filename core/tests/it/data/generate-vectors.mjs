// Regenerates `circomlibjs-extra.json`: Poseidon vectors for every width circomlibjs supports
// (1..16 inputs) and EdDSA-Poseidon vectors with packed keys and signatures.
// Usage: npm install circomlibjs@0.1.7 && node generate-vectors.mjs > circomlibjs-extra.json
import { buildPoseidon, buildEddsa, buildBabyjub } from "circomlibjs";
import crypto from "crypto";

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const babyjub = await buildBabyjub();
const F = poseidon.F;

// Deterministic pseudo-random bytes so reruns produce the same file.
let counter = 0;
function detBytes(n) {
  const out = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const h = crypto.createHash("sha256").update(`zksettle-vectors-${counter++}`).digest();
    h.copy(out, off, 0, Math.min(32, n - off));
    off += 32;
  }
  return out;
}
function detField() {
  const b = detBytes(32);
  b[0] &= 0x1f;
  return BigInt("0x" + b.toString("hex")).toString();
}

const poseidonVectors = [];
for (let n = 1; n <= 16; n++) {
  for (const inputs of [Array.from({ length: n }, (_, i) => String(i)), Array.from({ length: n }, detField)]) {
    poseidonVectors.push({ inputs, hash: F.toString(poseidon(inputs)) });
  }
}

const eddsaVectors = [];
for (let i = 0; i < 8; i++) {
  const prv = detBytes(32);
  const msg = F.e(detField());
  const pub = eddsa.prv2pub(prv);
  const sig = eddsa.signPoseidon(prv, msg);
  const packedSig = eddsa.packSignature(sig);
  eddsaVectors.push({
    private_key: prv.toString("hex"),
    message: F.toString(msg),
    public_key: [F.toString(pub[0]), F.toString(pub[1])],
    packed_public_key: Buffer.from(babyjub.packPoint(pub)).toString("hex"),
    signature: { r8: [F.toString(sig.R8[0]), F.toString(sig.R8[1])], s: sig.S.toString() },
    packed_signature: Buffer.from(packedSig).toString("hex"),
    valid: eddsa.verifyPoseidon(msg, sig, pub),
  });
}

console.log(JSON.stringify({
  source: "circomlibjs 0.1.7 (buildPoseidon, buildEddsa, buildBabyjub.packPoint, eddsa.packSignature)",
  poseidon: poseidonVectors,
  eddsa: eddsaVectors,
}, null, 1));
