//! The point formulas as programs of field operations, run by one interpreter loop per kernel
//! (`run_program` in curve.wgsl).
//!
//! Why: an unrolled Montgomery product is a few thousand shader instructions, and a shader
//! compiler inlines every call. Written out, one complete addition is twelve products; a kernel
//! with a few additions hands the compiler hundreds of thousands of instructions, which Mesa's
//! software Vulkan did not finish compiling in ten minutes. As a program, a kernel holds one
//! product, one sum and one difference, and the formula is data: [`Programs`] is uploaded once
//! per device and read by every invocation in step (the same instruction across a workgroup).
//!
//! An instruction is one word: `op << 24 | dst << 16 | a << 8 | b`, `dst ← a op b` on an
//! invocation's registers ([`REGISTERS`] field elements in workgroup memory).

/// Field elements per invocation: three points (A, B, C), the zero, and the formula's
/// temporaries.
pub(super) const REGISTERS: u32 = 19;
/// Point A's registers (X, Y, Z): the accumulator, and the running sum of `reduce`.
pub(super) const A: u8 = 0;
/// Point B's registers: the operand the kernel loads.
pub(super) const B: u8 = 3;
/// Point C's registers: the total of `reduce`.
pub(super) const C: u8 = 6;
/// A register every kernel sets to zero (for negation, 0 − y).
pub(super) const ZERO: u8 = 9;
/// The first of the temporaries.
const TEMP: u8 = 10;
const TEMPS: u8 = REGISTERS as u8 - TEMP;

/// One field operation (`op` in curve.wgsl's `run_program`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Op {
    Mul = 0,
    Add = 1,
    Sub = 2,
    Copy = 3,
}

/// The instructions of the point programs, and where each starts.
///
/// Layout: `[negate B] [A ← A + B] [C ← C + A]`, so the kernels run `[0, 1 + L)` for
/// A ← A − B, `[1, 1 + L)` for A ← A + B and `[1 + L, 1 + 2L)` for C ← C + A, with L =
/// [`Programs::add_length`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Programs {
    words: Vec<u32>,
    add_length: u32,
}

impl Programs {
    pub(super) fn new() -> Self {
        let mut negate = Builder::default();
        negate.sub(B + 1, ZERO, B + 1);
        let mut a_plus_b = Builder::default();
        a_plus_b.add_points(A, A, B);
        let mut c_plus_a = Builder::default();
        c_plus_a.add_points(C, C, A);
        assert_eq!(a_plus_b.words.len(), c_plus_a.words.len());
        let add_length = a_plus_b.words.len() as u32;
        let mut words = negate.words;
        words.extend(a_plus_b.words);
        words.extend(c_plus_a.words);
        Programs { words, add_length }
    }

    /// The instruction words, for the device.
    pub(super) fn words(&self) -> &[u32] {
        &self.words
    }

    /// Instructions in one addition (L).
    pub(super) fn add_length(&self) -> u32 {
        self.add_length
    }
}

#[derive(Default)]
struct Builder {
    words: Vec<u32>,
}

impl Builder {
    fn push(&mut self, op: Op, dst: u8, a: u8, b: u8) {
        debug_assert!([dst, a, b].iter().all(|&r| u32::from(r) < REGISTERS));
        self.words
            .push((op as u32) << 24 | u32::from(dst) << 16 | u32::from(a) << 8 | u32::from(b));
    }

    fn mul(&mut self, dst: u8, a: u8, b: u8) {
        self.push(Op::Mul, dst, a, b);
    }

    fn add(&mut self, dst: u8, a: u8, b: u8) {
        self.push(Op::Add, dst, a, b);
    }

    fn sub(&mut self, dst: u8, a: u8, b: u8) {
        self.push(Op::Sub, dst, a, b);
    }

    fn copy(&mut self, dst: u8, a: u8) {
        self.push(Op::Copy, dst, a, a);
    }

    /// dst ← 9·a (b3 = 3b = 9 for y² = x³ + 3): three doublings and an addition, through
    /// `scratch`.
    fn mul9(&mut self, dst: u8, a: u8, scratch: u8) {
        self.add(scratch, a, a);
        self.add(scratch, scratch, scratch);
        self.add(scratch, scratch, scratch);
        self.add(dst, scratch, a);
    }

    /// (dst) ← (p) + (q), each three registers (X, Y, Z) in homogeneous projective coordinates:
    /// Renes, Costello and Batina's complete addition for a = 0 ("Complete addition formulas
    /// for prime order elliptic curves", 2016, Algorithm 7), 12M + 29 sums. Complete: P + P,
    /// P + (−P) and the identity (0 : 1 : 0) need no branch. `dst` may be `p` or `q`: the
    /// result is built in temporaries and copied.
    fn add_points(&mut self, dst: u8, p: u8, q: u8) {
        let (x1, y1, z1) = (p, p + 1, p + 2);
        let (x2, y2, z2) = (q, q + 1, q + 2);
        let [t0, t1, t2, t3, t4, x3, y3, z3, scratch] = std::array::from_fn(|i| TEMP + i as u8);
        debug_assert_eq!(TEMPS, 9);
        self.mul(t0, x1, x2);
        self.mul(t1, y1, y2);
        self.mul(t2, z1, z2);
        self.add(t3, x1, y1);
        self.add(t4, x2, y2);
        self.mul(t3, t3, t4);
        self.add(t4, t0, t1);
        self.sub(t3, t3, t4);
        self.add(t4, y1, z1);
        self.add(x3, y2, z2);
        self.mul(t4, t4, x3);
        self.add(x3, t1, t2);
        self.sub(t4, t4, x3);
        self.add(x3, x1, z1);
        self.add(y3, x2, z2);
        self.mul(x3, x3, y3);
        self.add(y3, t0, t2);
        self.sub(y3, x3, y3);
        self.add(x3, t0, t0);
        self.add(t0, x3, t0);
        self.mul9(t2, t2, scratch);
        self.add(z3, t1, t2);
        self.sub(t1, t1, t2);
        self.mul9(y3, y3, scratch);
        self.mul(x3, t4, y3);
        self.mul(t2, t3, t1);
        self.sub(x3, t2, x3);
        self.mul(y3, y3, t0);
        self.mul(t1, t1, z3);
        self.add(y3, t1, y3);
        self.mul(t0, t0, t3);
        self.mul(z3, z3, t4);
        self.add(z3, z3, t0);
        self.copy(dst, x3);
        self.copy(dst + 1, y3);
        self.copy(dst + 2, z3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fr, G1Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{AdditiveGroup, Field, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// The interpreter of curve.wgsl, on the host.
    fn run(words: &[u32], regs: &mut [Fq; REGISTERS as usize]) {
        for w in words {
            let (op, dst, a, b) = (w >> 24, (w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff);
            let (x, y) = (regs[a as usize], regs[b as usize]);
            regs[dst as usize] = match op {
                0 => x * y,
                1 => x + y,
                2 => x - y,
                _ => x,
            };
        }
    }

    fn set(regs: &mut [Fq], at: u8, p: G1Projective) {
        // Homogeneous (X : Y : Z) from arkworks' Jacobian: x = X/Z², y = Y/Z³.
        if p == G1Projective::ZERO {
            regs[at as usize..at as usize + 3].copy_from_slice(&[Fq::ZERO, Fq::ONE, Fq::ZERO]);
        } else {
            let a = p.into_affine();
            regs[at as usize..at as usize + 3].copy_from_slice(&[a.x, a.y, Fq::ONE]);
        }
    }

    fn get(regs: &[Fq], at: u8) -> G1Projective {
        let [x, y, z] = [0, 1, 2].map(|k| regs[(at + k) as usize]);
        if z == Fq::ZERO {
            return G1Projective::ZERO;
        }
        G1Projective::new_unchecked(x * z, y * z.square(), z)
    }

    #[test]
    fn the_programs_add_and_subtract_points_as_arkworks_does_with_equal_and_opposite_ones() {
        let programs = Programs::new();
        let l = programs.add_length() as usize;
        let words = programs.words();
        let mut rng = StdRng::seed_from_u64(7);
        let g = G1Projective::generator();
        for _ in 0..10 {
            let p = g * Fr::rand(&mut rng);
            let q = g * Fr::rand(&mut rng);
            for (p, q) in [
                (p, q),
                (p, p),
                (p, -p),
                (G1Projective::ZERO, q),
                (p, G1Projective::ZERO),
            ] {
                let mut regs = [Fq::ZERO; REGISTERS as usize];
                set(&mut regs, A, p);
                set(&mut regs, B, q);
                run(&words[1..1 + l], &mut regs);
                assert_eq!(get(&regs, A), p + q);
                set(&mut regs, A, p);
                set(&mut regs, B, q);
                run(&words[..1 + l], &mut regs);
                assert_eq!(get(&regs, A), p - q);
                set(&mut regs, C, p);
                set(&mut regs, A, q);
                run(&words[1 + l..], &mut regs);
                assert_eq!(get(&regs, C), p + q);
            }
        }
    }
}
