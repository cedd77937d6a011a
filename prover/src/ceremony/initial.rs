//! The ceremony's first key (`snarkjs groth16 setup`, alias `zkey new`), from the powers of
//! tau and the circuit, with τ, α and β those of the powers and γ = δ = 1.
//!
//! With `m` constraints, `ℓ + 1` instance wires (the constant one and `ℓ` public inputs) and
//! the domain of `n = 2^⌈log2(m + ℓ + 1)⌉` points, `L_c` the Lagrange polynomials of the
//! `n`-th roots of unity and, for wire `s`, `A_s(X) = Σ_c A[c][s]·L_c(X) + [s ≤ ℓ]·L_{m+s}(X)`
//! (snarkjs binds each instance wire with an extra row `A[m + s][s] = 1`), `B_s` and `C_s`
//! likewise without extra rows:
//!
//! | query | point of wire `s` |
//! |---|---|
//! | A (section 5) | `A_s(τ)·G1` |
//! | B₁, B₂ (6, 7) | `B_s(τ)·G1`, `B_s(τ)·G2` |
//! | IC (3), `s ≤ ℓ` | `(β·A_s(τ) + α·B_s(τ) + C_s(τ))·G1` |
//! | L (8), `s > ℓ` | the same |
//! | H (9), `i < n` | `L^{(2n)}_{2i+1}(τ)·G1`: the odd points of the `2n` domain |
//!
//! Every point is a sum of the ptau's Lagrange points times the circuit's coefficients, so no
//! secret is needed: per wire, an MSM over its terms when they are thousands, else one Straus
//! sum (shared doublings, signed windows) over them.

use super::ptau::{self, Ptau};
use super::CeremonyError;
use crate::parallel::prelude::*;
use crate::zkey::binfile::{g1_hashed, g2_hashed};
use crate::zkey::{Ceremony, Coefficient, Zkey};
use crate::ShapeConstraints;
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{AdditiveGroup, BigInteger, One, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_relations::gr1cs::Matrix;
use blake2::{Blake2b512, Digest};

/// Snarkjs hashes the `H` query in chunks of this many points (see [`cs_hash`]).
const HASH_CHUNK: usize = 16384;

/// The first key of a ceremony for `circuit` from the powers of tau in `ptau` (prepared for
/// phase 2): the same key, coefficients and circuit hash as `snarkjs groth16 setup` writes for
/// the circuit's `.r1cs` ([`crate::iden3::write_r1cs`]).
pub fn initial_key(circuit: &ShapeConstraints, ptau: &mut Ptau) -> Result<Zkey, CeremonyError> {
    let [a, b, c] = circuit.matrices() else {
        return Err(CeremonyError::NotAnR1cs(circuit.matrices().len()));
    };
    let rows = circuit.constraints();
    let instance = circuit.instance_variables();
    let wires = instance + circuit.witness_variables();
    let n = (rows + instance).next_power_of_two();
    let power = n.trailing_zeros();
    if power > ptau.power() {
        return Err(CeremonyError::PtauTooSmall {
            needs: power,
            has: ptau.power(),
        });
    }
    if power == ptau.power() && n >= 2 * HASH_CHUNK {
        return Err(CeremonyError::PtauExactlyFull {
            power,
            next: power + 1,
        });
    }
    ptau.check_prepared()?;

    let lagrange = ptau.lagrange_g1(ptau::LAGRANGE_G1, n)?;
    let lagrange_g2 = ptau.lagrange_g2(n)?;
    let alpha_lagrange = ptau.lagrange_g1(ptau::LAGRANGE_ALPHA_G1, n)?;
    let beta_lagrange = ptau.lagrange_g1(ptau::LAGRANGE_BETA_G1, n)?;
    let double = ptau.lagrange_g1(ptau::LAGRANGE_G1, 2 * n)?;
    let h_query: Vec<G1Affine> = double.into_iter().skip(1).step_by(2).collect();
    let alpha_g1 = ptau.g1(ptau::ALPHA_TAU_G1, 0, 1)?[0];
    let beta_g1 = ptau.g1(ptau::BETA_TAU_G1, 0, 1)?[0];
    let beta_g2 = ptau.g2(ptau::BETA_G2, 0, 1)?[0];

    let (a_cols, b_cols, c_cols) = (
        Columns::of(a, wires),
        Columns::of(b, wires),
        Columns::of(c, wires),
    );
    // Then the extra rows binding the instance wires: `A[m + s][s] = 1`.

    let mut a_query = query(wires, &[(&lagrange, &a_cols)])?;
    let b_g1_query = query(wires, &[(&lagrange, &b_cols)])?;
    let b_g2_query = query(wires, &[(&lagrange_g2, &b_cols)])?;
    let mut k = query(
        wires,
        &[
            (&beta_lagrange, &a_cols),
            (&alpha_lagrange, &b_cols),
            (&lagrange, &c_cols),
        ],
    )?;
    for s in 0..instance {
        a_query[s] += lagrange[rows + s];
        k[s] += beta_lagrange[rows + s];
    }
    let a_query = G1Projective::normalize_batch(&a_query);
    let b_g1_query = G1Projective::normalize_batch(&b_g1_query);
    let b_g2_query = G2Projective::normalize_batch(&b_g2_query);
    let mut ic = G1Projective::normalize_batch(&k);
    let l_query = ic.split_off(instance);

    let mut zkey = Zkey {
        n_vars: wires,
        n_public: instance - 1,
        domain_size: n,
        proving_key: ProvingKey {
            vk: VerifyingKey {
                alpha_g1,
                beta_g2,
                gamma_g2: G2Affine::generator(),
                delta_g2: G2Affine::generator(),
                gamma_abc_g1: ic,
            },
            beta_g1,
            delta_g1: G1Affine::generator(),
            a_query,
            b_g1_query,
            b_g2_query,
            h_query,
            l_query,
        },
        coefficients: coefficients(a, b, rows, instance),
        ceremony: None,
    };
    let cs_hash = cs_hash(&zkey, ptau)?;
    zkey.ceremony = Some(Ceremony {
        cs_hash,
        contributions: Vec::new(),
    });
    Ok(zkey)
}

/// A matrix by columns: for each wire, its `(row, coefficient)` terms in row order.
struct Columns {
    start: Vec<usize>,
    terms: Vec<(usize, Fr)>,
}

impl Columns {
    fn of(matrix: &Matrix<Fr>, wires: usize) -> Self {
        let mut start = vec![0usize; wires + 1];
        for &(_, wire) in matrix.iter().flatten() {
            start[wire + 1] += 1;
        }
        for s in 0..wires {
            start[s + 1] += start[s];
        }
        let mut next = start.clone();
        let mut terms = vec![(0, Fr::default()); start[wires]];
        for (row, entries) in matrix.iter().enumerate() {
            for &(value, wire) in entries {
                terms[next[wire]] = (row, value);
                next[wire] += 1;
            }
        }
        Columns { start, terms }
    }

    fn of_wire(&self, s: usize) -> &[(usize, Fr)] {
        &self.terms[self.start[s]..self.start[s + 1]]
    }
}

/// Above this many terms a wire's sum is one MSM (Pippenger's buckets, parallel itself) rather
/// than a Straus sum ([`straus`]): the constant wire carries one term per constraint.
const MSM_TERMS: usize = 2048;

/// The signed window of [`straus`]'s digits: odd digits in `(−2^{w−1}, 2^{w−1})`, one in
/// `w + 1` positions non-zero on average, from a table of `2^{w−2}` odd multiples per point.
const WINDOW: usize = 5;

/// A coefficient whose smaller of `c` and `r − c` has at most this many bits is applied by its
/// own double-and-add (a bit-decomposition's 2^i, a small integer) rather than in the shared
/// Straus loop, which would spend table building on it.
const SMALL_BITS: u32 = 32;

/// `Σ value·point` over `terms` by Straus' interleaving: one shared run of doublings (at most
/// 254 for full-size coefficients) and, per full-size coefficient, about `254/(w + 1)` mixed
/// additions from a table of `2^{w−2}` odd multiples ([`WINDOW`]); so a wire of `k` full-size
/// terms costs about `254 + 50·k` group operations rather than `k·381` for one double-and-add
/// per term, and no inversion but one batch normalisation. Equal coefficients are merged
/// first (`c·P + c·Q = c·(P + Q)`): Poseidon's linear layers repeat each MDS entry in the A and
/// B rows of one S-box.
fn straus<P: SWCurveConfig<ScalarField = Fr>>(mut terms: Vec<(Affine<P>, Fr)>) -> Projective<P> {
    // Montgomery forms are equal exactly when the values are.
    terms.sort_unstable_by_key(|a| a.1 .0);
    let half = Fr::MODULUS_MINUS_ONE_DIV_TWO;
    let mut small = Projective::<P>::default();
    let mut full: Vec<(Projective<P>, Vec<i64>)> = Vec::new();
    for group in terms.chunk_by(|a, b| a.1 == b.1) {
        let value = group[0].1;
        let point: Projective<P> = group.iter().map(|(p, _)| p).sum();
        let (point, magnitude) = match value.into_bigint() {
            positive if positive <= half => (point, positive),
            _ => (-point, (-value).into_bigint()),
        };
        if magnitude.num_bits() <= SMALL_BITS {
            small += point.mul_bigint(magnitude);
        } else {
            let digits = magnitude
                .find_wnaf(WINDOW)
                .expect("the window is within 2..64");
            full.push((point, digits));
        }
    }
    if full.is_empty() {
        return small;
    }
    let per_point = 1 << (WINDOW - 2);
    let odd_multiples: Vec<Projective<P>> = full
        .iter()
        .flat_map(|&(point, _)| {
            let double = point.double();
            std::iter::successors(Some(point), move |m| Some(*m + double)).take(per_point)
        })
        .collect();
    let table = Projective::normalize_batch(&odd_multiples);
    let longest = full.iter().map(|(_, d)| d.len()).max().unwrap_or(0);
    let mut sum = Projective::<P>::default();
    for i in (0..longest).rev() {
        sum.double_in_place();
        for (j, (_, digits)) in full.iter().enumerate() {
            match digits.get(i).copied().unwrap_or(0) {
                0 => {}
                d if d > 0 => sum += table[j * per_point + d as usize / 2],
                d => sum -= table[j * per_point + d.unsigned_abs() as usize / 2],
            }
        }
    }
    sum + small
}

/// Per wire `s`, `Σ` over each `(bases, columns)` pair of `Σ value·bases[row]` over
/// `columns.of_wire(s)`: in parallel over the wires by [`straus`] (every pair's terms in one
/// interleaved sum), except the few wires with more than [`MSM_TERMS`] terms in a pair, which
/// are MSMs one after another, each parallel itself.
fn query<P: SWCurveConfig<ScalarField = Fr>>(
    wires: usize,
    parts: &[(&[Affine<P>], &Columns)],
) -> Result<Vec<Projective<P>>, CeremonyError>
where
    P::BaseField: crate::field::FastField,
{
    let long = |s: usize| parts.iter().any(|(_, c)| c.of_wire(s).len() > MSM_TERMS);
    let mut out: Vec<Projective<P>> = (0..wires)
        .into_par_iter()
        .map(|s| {
            if long(s) {
                return Projective::<P>::default();
            }
            let terms = parts
                .iter()
                .flat_map(|(bases, columns)| {
                    columns
                        .of_wire(s)
                        .iter()
                        .map(|&(row, value)| (bases[row], value))
                })
                .collect();
            straus(terms)
        })
        .collect();
    let msm = crate::Pippenger::default();
    for s in (0..wires).filter(|&s| long(s)) {
        for (bases, columns) in parts {
            let terms = columns.of_wire(s);
            let points: Vec<Affine<P>> = terms.iter().map(|&(row, _)| bases[row]).collect();
            let scalars: Vec<Fr> = terms.iter().map(|&(_, value)| value).collect();
            out[s] += crate::Msm::<P>::msm(&msm, &points, &scalars).map_err(CeremonyError::Msm)?;
        }
    }
    Ok(out)
}

/// Section 4 in snarkjs' order: per constraint its `A` terms then its `B` terms, then the rows
/// binding the instance wires.
fn coefficients(a: &Matrix<Fr>, b: &Matrix<Fr>, rows: usize, instance: usize) -> Vec<Coefficient> {
    let entry = |matrix: u32, constraint: usize, &(value, wire): &(Fr, usize)| Coefficient {
        matrix,
        constraint: constraint as u32,
        wire: wire as u32,
        value,
    };
    let mut out = Vec::new();
    for row in 0..rows {
        out.extend(a[row].iter().map(|t| entry(0, row, t)));
        out.extend(b[row].iter().map(|t| entry(1, row, t)));
    }
    out.extend((0..instance).map(|s| entry(0, rows + s, &(Fr::one(), s))));
    out
}

/// snarkjs' circuit hash: Blake2b-512 over, in the hashing encoding, α₁, β₁, β₂, γ₂, δ₁, δ₂;
/// then per query a big-endian u32 count and the points: IC; `H` in the monomial basis,
/// `(τ^{i+n} − τ^i)·G1` from the ptau's section 2 (not section 9: the Lagrange form would let
/// a ptau pick `H` freely); L; A; B₁; B₂.
///
/// snarkjs' `H` loop hashes `min(n − 1, 16384)` points per chunk of 16,384: `n − 1` points for
/// `n ≤ 16384`, `n` points above (the count written stays `n − 1`). Its last point then needs
/// `τ^{2n−1}`, which the ptau holds unless `n` is its whole size ([`initial_key`] refuses
/// that case).
fn cs_hash(zkey: &Zkey, ptau: &mut Ptau) -> Result<[u8; 64], CeremonyError> {
    let pk = &zkey.proving_key;
    let n = zkey.domain_size;
    let mut h = Blake2b512::new();
    h.update(g1_hashed(&pk.vk.alpha_g1));
    h.update(g1_hashed(&pk.beta_g1));
    h.update(g2_hashed(&pk.vk.beta_g2));
    h.update(g2_hashed(&pk.vk.gamma_g2));
    h.update(g1_hashed(&pk.delta_g1));
    h.update(g2_hashed(&pk.vk.delta_g2));
    let count = |h: &mut Blake2b512, n: usize| h.update((n as u32).to_be_bytes());
    count(&mut h, pk.vk.gamma_abc_g1.len());
    pk.vk
        .gamma_abc_g1
        .iter()
        .for_each(|p| h.update(g1_hashed(p)));

    count(&mut h, n - 1);
    let hashed = if n <= HASH_CHUNK { n - 1 } else { n };
    let powers = ptau.g1(ptau::TAU_G1, 0, n + hashed)?;
    let monomial: Vec<G1Projective> = (0..hashed)
        .into_par_iter()
        .map(|i| powers[i + n].into_group() - powers[i])
        .collect();
    G1Projective::normalize_batch(&monomial)
        .iter()
        .for_each(|p| h.update(g1_hashed(p)));

    count(&mut h, pk.l_query.len());
    pk.l_query.iter().for_each(|p| h.update(g1_hashed(p)));
    for query in [&pk.a_query, &pk.b_g1_query] {
        count(&mut h, query.len());
        query.iter().for_each(|p| h.update(g1_hashed(p)));
    }
    count(&mut h, pk.b_g2_query.len());
    pk.b_g2_query.iter().for_each(|p| h.update(g2_hashed(p)));
    Ok(h.finalize().into())
}
