// BN254's base field F_p in Montgomery form with R = 2^256, the representation arkworks keeps
// (so a point's bytes go to the device unchanged). In a shader an element is sixteen 16-bit
// limbs, least significant first, one per u32: a product of two limbs plus two more limbs is at
// most (2^16 - 1)^2 + 2(2^16 - 1) = 2^32 - 1, so every step of the schoolbook Montgomery product
// (CIOS) fits a u32 with no carry lost. In buffers an element is eight u32 words, two limbs
// each (`fe_unpack`, `fe_pack`), half the memory and bandwidth.
//
// Every function takes and returns fully reduced elements (< p).
//
// The limb loops have the constant bound 16, so the compiler unrolls them into straight-line
// code: the fastest products, and the only form Mesa's software Vulkan compiles in reasonable
// time (a bound it cannot see turns every limb access into a chain of selects). Unrolled, one
// product is a few thousand instructions, so a kernel must not inline many of them: the point
// formulas run as programs of field operations (curve.wgsl), one copy of each operation per
// kernel.

alias Fe = array<u32, 16>;

// p, sixteen 16-bit limbs.
const P_LIMBS = Fe(64839u, 55420u, 35862u, 15392u, 51853u, 26737u, 27281u, 38785u,
                   22621u, 33153u, 17846u, 47184u, 41001u, 57649u, 20082u, 12388u);
// -p^{-1} mod 2^16.
const P_INV_NEG: u32 = 25481u;
const MASK: u32 = 0xffffu;

// Limbs per element.
const limbs: u32 = 16u;

fn fe_zero() -> Fe {
    return Fe(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
}

// a - p if a >= p, else a (for a < 2p).
fn fe_reduce_once(a: Fe) -> Fe {
    var x = a;
    var p = P_LIMBS;
    var t: Fe;
    var borrow = 0u;
    for (var i = 0u; i < limbs; i++) {
        let d = x[i] - p[i] - borrow;
        t[i] = d & MASK;
        borrow = (d >> 16u) & 1u;
    }
    if (borrow == 0u) {
        return t;
    }
    return x;
}

fn fe_add(a: Fe, b: Fe) -> Fe {
    // p < 2^254, so a + b < 2^255 fits sixteen limbs.
    var x = a;
    var y = b;
    var r: Fe;
    var carry = 0u;
    for (var i = 0u; i < limbs; i++) {
        let s = x[i] + y[i] + carry;
        r[i] = s & MASK;
        carry = s >> 16u;
    }
    return fe_reduce_once(r);
}

fn fe_sub(a: Fe, b: Fe) -> Fe {
    var x = a;
    var y = b;
    var p = P_LIMBS;
    var r: Fe;
    var borrow = 0u;
    for (var i = 0u; i < limbs; i++) {
        let d = x[i] - y[i] - borrow;
        r[i] = d & MASK;
        borrow = (d >> 16u) & 1u;
    }
    if (borrow != 0u) {
        var carry = 0u;
        for (var i = 0u; i < limbs; i++) {
            let s = r[i] + p[i] + carry;
            r[i] = s & MASK;
            carry = s >> 16u;
        }
    }
    return r;
}

// a·b·2^-256 mod p (CIOS, coarsely integrated operand scanning, with 16-bit digits). With
// a, b < p < 2^254 the running value stays below 2p, so one conditional subtraction ends it.
fn fe_mul(a: Fe, b: Fe) -> Fe {
    var x = a;
    var y = b;
    var p = P_LIMBS;
    var t: array<u32, 18>;
    for (var i = 0u; i < limbs + 2u; i++) {
        t[i] = 0u;
    }
    for (var i = 0u; i < limbs; i++) {
        // t += x[i]·y
        var carry = 0u;
        let xi = x[i];
        for (var j = 0u; j < limbs; j++) {
            let s = t[j] + xi * y[j] + carry;
            t[j] = s & MASK;
            carry = s >> 16u;
        }
        let s16 = t[limbs] + carry;
        t[limbs] = s16 & MASK;
        t[limbs + 1u] = s16 >> 16u;
        // t = (t + m·p) / 2^16 with m making the low digit zero
        let m = (t[0] * P_INV_NEG) & MASK;
        var c = (t[0] + m * p[0]) >> 16u;
        for (var j = 1u; j < limbs; j++) {
            let s = t[j] + m * p[j] + c;
            t[j - 1u] = s & MASK;
            c = s >> 16u;
        }
        let s15 = t[limbs] + c;
        t[limbs - 1u] = s15 & MASK;
        t[limbs] = t[limbs + 1u] + (s15 >> 16u);
    }
    var r: Fe;
    for (var i = 0u; i < limbs; i++) {
        r[i] = t[i];
    }
    return fe_reduce_once(r);
}

// Two limbs per word: word k holds limb 2k in its low half and limb 2k + 1 in its high half,
// the little-endian u32 words of arkworks' Montgomery limbs.
fn fe_unpack(w: array<u32, 8>) -> Fe {
    var v = w;
    var r: Fe;
    for (var k = 0u; k < limbs / 2u; k++) {
        r[2u * k] = v[k] & MASK;
        r[2u * k + 1u] = v[k] >> 16u;
    }
    return r;
}

fn fe_pack(a: Fe) -> array<u32, 8> {
    var x = a;
    var w: array<u32, 8>;
    for (var k = 0u; k < limbs / 2u; k++) {
        w[k] = x[2u * k] | (x[2u * k + 1u] << 16u);
    }
    return w;
}
