// BN254's G1 (y^2 = x^3 + 3 over F_p) in homogeneous projective coordinates, x = X/Z, y = Y/Z,
// added by the complete formulas of Renes, Costello and Batina (2016, Algorithm 7 for a = 0):
// the same straight-line code adds P + P, P + (-P) and the identity (0 : 1 : 0), so adversarial
// inputs (repeated points, a point and its negation in one bucket) need no branches.
//
// The formula is not written out here but run as a program of field operations (program.rs
// builds it; `programs` holds it): written out, its twelve unrolled products per addition
// inlined at every call make kernels that Mesa's software Vulkan does not finish compiling. An
// invocation's registers (`REGISTERS` field elements, eight words each) live in workgroup
// memory; the point kernels run `POINT_WORKGROUP` invocations per workgroup, within the 16 KiB
// of workgroup memory every adapter offers.
//
// An affine point in a buffer is x then y (sixteen words); the point at infinity is stored as
// (0, 0), which is not on the curve (0 != 3), and the kernels skip it.

// The point programs (program.rs): `op << 24 | dst << 16 | a << 8 | b`.
@group(0) @binding(6) var<storage, read> programs: array<u32>;

const REGISTERS: u32 = 19u;
const POINT_WORKGROUP: u32 = 16u;
// Point registers (X, Y, Z at r, r + 1, r + 2) and the zero register (program.rs).
const REG_A: u32 = 0u;
const REG_B: u32 = 3u;
const REG_C: u32 = 6u;
const REG_ZERO: u32 = 9u;

var<workgroup> registers: array<u32, 2432>; // POINT_WORKGROUP · REGISTERS · 8

// One in Montgomery form: R mod p, as eight words.
const ONE_WORDS = array<u32, 8>(3314486685u, 3546104717u, 4123462461u, 175696680u,
                                2021213740u, 1718526831u, 2584207151u, 235567041u);

fn register_word(slot: u32, r: u32, k: u32) -> u32 {
    return (slot * REGISTERS + r) * 8u + k;
}

fn register_load(slot: u32, r: u32) -> Fe {
    var w: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        w[k] = registers[register_word(slot, r, k)];
    }
    return fe_unpack(w);
}

fn register_store(slot: u32, r: u32, a: Fe) {
    var w = fe_pack(a);
    for (var k = 0u; k < 8u; k++) {
        registers[register_word(slot, r, k)] = w[k];
    }
}

// Sets a register from eight words (a field element as buffers hold it).
fn register_set_words(slot: u32, r: u32, w: array<u32, 8>) {
    var v = w;
    for (var k = 0u; k < 8u; k++) {
        registers[register_word(slot, r, k)] = v[k];
    }
}

fn register_words(slot: u32, r: u32) -> array<u32, 8> {
    var w: array<u32, 8>;
    for (var k = 0u; k < 8u; k++) {
        w[k] = registers[register_word(slot, r, k)];
    }
    return w;
}

// Registers r..r + 2 := the identity (0 : 1 : 0).
fn register_set_identity(slot: u32, r: u32) {
    register_set_words(slot, r, array<u32, 8>());
    register_set_words(slot, r + 1u, ONE_WORDS);
    register_set_words(slot, r + 2u, array<u32, 8>());
}

// Every kernel that runs programs starts with this.
fn registers_begin(slot: u32) {
    register_set_words(slot, REG_ZERO, array<u32, 8>());
}

// Runs instructions [start, end) of `programs` on the invocation's registers. Call it from one
// place per kernel: each call inlines a product, a sum and a difference.
fn run_program(slot: u32, start: u32, end: u32) {
    for (var pc = start; pc < end; pc++) {
        let instruction = programs[pc];
        let op = instruction >> 24u;
        let x = register_load(slot, (instruction >> 8u) & 0xffu);
        let y = register_load(slot, instruction & 0xffu);
        var r: Fe;
        switch op {
            case 0u: {
                r = fe_mul(x, y);
            }
            case 1u: {
                r = fe_add(x, y);
            }
            case 2u: {
                r = fe_sub(x, y);
            }
            default: {
                r = x;
            }
        }
        register_store(slot, (instruction >> 16u) & 0xffu, r);
    }
}
