use super::*;
use ark_bn254::{g1, g2, Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Field, PrimeField, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use proptest::prelude::*;

fn points<A: AffineRepr>(n: usize, rng: &mut StdRng) -> Vec<A> {
    (0..n).map(|_| A::rand(rng)).collect()
}

fn scalars(n: usize, rng: &mut StdRng) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

/// Every field arithmetic (the IFMA lanes and the assembly where this CPU has them, and
/// ark-ff's).
const ARITHMETICS: [Arithmetic; 3] = [
    Arithmetic::Fastest,
    Arithmetic::Scalar,
    Arithmetic::Portable,
];

/// Every window width from 2 up, and the automatic one, against ark-ec.
fn agrees_g1(what: &str, bases: &[G1Affine], scalars: &[Fr]) {
    let expected = ArkMsm.msm(bases, scalars).unwrap();
    for window in [None, Some(2), Some(3), Some(5), Some(8), Some(13)] {
        for (arithmetic, glv) in ARITHMETICS
            .into_iter()
            .flat_map(|a| [(a, Some(true)), (a, Some(false))])
        {
            let msm = Pippenger {
                window,
                arithmetic,
                glv,
            };
            let got = Msm::<g1::Config>::msm(&msm, bases, scalars).unwrap();
            assert_eq!(got.into_affine(), expected.into_affine(), "{what}, {msm:?}");
        }
    }
    for window in [2, 5, 8, 16] {
        let table = FixedBases::new(bases, window).unwrap();
        for arithmetic in ARITHMETICS {
            let got = table.msm(arithmetic, scalars).unwrap();
            assert_eq!(
                got.into_affine(),
                expected.into_affine(),
                "{what}, fixed bases, window {window}, {arithmetic:?}"
            );
        }
    }
}

fn agrees_g2(bases: &[G2Affine], scalars: &[Fr]) {
    let expected = ArkMsm.msm(bases, scalars).unwrap();
    for window in [None, Some(2), Some(4), Some(9), Some(11)] {
        for arithmetic in ARITHMETICS {
            let msm = Pippenger {
                window,
                arithmetic,
                glv: Some(true),
            };
            let got = Msm::<g2::Config>::msm(&msm, bases, scalars).unwrap();
            assert_eq!(got.into_affine(), expected.into_affine(), "{msm:?}");
        }
    }
    for window in [3, 11] {
        let table = FixedBases::new(bases, window).unwrap();
        for arithmetic in ARITHMETICS {
            let got = table.msm(arithmetic, scalars).unwrap();
            assert_eq!(got.into_affine(), expected.into_affine(), "fixed, {window}");
        }
    }
}

#[test]
fn small_and_odd_sizes_agree_with_ark() {
    let mut rng = StdRng::seed_from_u64(1);
    for n in [0, 1, 2, 3, 15, 16, 17, 31, 100, 257, 1000] {
        agrees_g1("random", &points(n, &mut rng), &scalars(n, &mut rng));
    }
    for n in [0, 1, 2, 17, 100] {
        agrees_g2(&points(n, &mut rng), &scalars(n, &mut rng));
    }
}

#[test]
fn adversarial_scalars_and_bases_agree_with_ark() {
    let mut rng = StdRng::seed_from_u64(2);
    let n = 200;
    let bases: Vec<G1Affine> = points(n, &mut rng);
    let minus_one = -Fr::ONE;
    // Zero scalars, r − 1, one, the top bit set, all equal.
    for s in [Fr::ZERO, minus_one, Fr::ONE, Fr::from(2u64).pow([253u64])] {
        agrees_g1("equal scalars", &bases, &vec![s; n]);
    }
    let mut mixed = scalars(n, &mut rng);
    for (i, s) in mixed.iter_mut().enumerate() {
        match i % 4 {
            0 => *s = Fr::ZERO,
            1 => *s = minus_one,
            _ => {}
        }
    }
    agrees_g1("zeros and r - 1", &bases, &mixed);
    // One base repeated (every bucket addition is a doubling), a base beside its negation (the
    // bucket empties), and the identity among the bases.
    let p = bases[0];
    agrees_g1("one base repeated", &vec![p; n], &scalars(n, &mut rng));
    let s = scalars(n, &mut rng);
    let opposite: Vec<G1Affine> = (0..n).map(|i| if i % 2 == 0 { p } else { -p }).collect();
    let same_scalars: Vec<Fr> = (0..n).map(|i| s[i / 2 * 2]).collect();
    agrees_g1("opposite bases", &opposite, &same_scalars);
    let mut with_identity = bases.clone();
    with_identity[7] = G1Affine::identity();
    with_identity[100] = G1Affine::identity();
    agrees_g1("identity bases", &with_identity, &s);
    let g2_base = G2Affine::rand(&mut rng);
    agrees_g2(&vec![g2_base; 64], &vec![minus_one; 64]);
    agrees_g2(
        &(0..64)
            .map(|i| if i % 2 == 0 { g2_base } else { -g2_base })
            .collect::<Vec<_>>(),
        &vec![Fr::from(5u64); 64],
    );
}

#[test]
fn mismatched_lengths_are_refused() {
    let mut rng = StdRng::seed_from_u64(3);
    let bases: Vec<G1Affine> = points(3, &mut rng);
    let e = Msm::<g1::Config>::msm(&Pippenger::default(), &bases, &scalars(2, &mut rng));
    assert_eq!(
        e,
        Err(MsmError::LengthMismatch {
            bases: 3,
            scalars: 2
        })
    );
}

#[test]
fn fixed_bases_refuse_other_lengths_and_fit_their_budget() {
    let mut rng = StdRng::seed_from_u64(4);
    let bases: Vec<G1Affine> = points(40, &mut rng);
    let table = FixedBases::new(&bases, 6).unwrap();
    assert_eq!(
        table.msm(Arithmetic::Fastest, &scalars(39, &mut rng)),
        Err(MsmError::LengthMismatch {
            bases: 40,
            scalars: 39
        })
    );
    assert_eq!(table.memory_bytes(), FixedBases::<g1::Config>::bytes(40, 6));
    let n = 1 << 16;
    let roomy = FixedBases::<g1::Config>::window_for(n, 2, usize::MAX).unwrap();
    let budget = FixedBases::<g1::Config>::bytes(n, roomy) - 1;
    let tight = FixedBases::<g1::Config>::window_for(n, 2, budget).unwrap();
    assert!(tight > roomy, "{tight} vs {roomy}");
    assert!(FixedBases::<g1::Config>::bytes(n, tight) <= budget);
    assert_eq!(FixedBases::<g1::Config>::window_for(n, 2, 1000), None);
}

#[test]
fn window_widths_cover_the_scalar_evenly() {
    for c in 2..=24 {
        let widths = pippenger::balanced_widths(254, c);
        assert_eq!(widths.len(), 254usize.div_ceil(c), "c = {c}");
        assert_eq!(widths.iter().sum::<usize>(), 254, "c = {c}");
        let (narrowest, widest) = (widths.iter().min(), widths.iter().max());
        assert!(widest <= Some(&c), "c = {c}: {widths:?}");
        assert!(
            widest.zip(narrowest).is_some_and(|(w, n)| w - n <= 1),
            "c = {c}: {widths:?}"
        );
    }
    // c = 13: fourteen windows of 13 bits and six of 12, where equal widths would leave the top
    // one 7 bits (64 buckets).
    let widths = pippenger::balanced_widths(254, 13);
    assert_eq!(widths.iter().filter(|&&w| w == 12).count(), 6);
}

#[test]
fn window_grows_with_the_number_of_points() {
    let bits = Fr::MODULUS_BIT_SIZE as usize;
    let sizes = [1 << 10, 1 << 16, 1 << 20];
    let windows: Vec<usize> = sizes
        .iter()
        .map(|&n| pippenger::window_for(n, bits, 2))
        .collect();
    assert!(windows.windows(2).all(|w| w[0] < w[1]), "{windows:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_inputs_agree_with_ark(seed in any::<u64>(), n in 0usize..400, window in 2usize..12) {
        let mut rng = StdRng::seed_from_u64(seed);
        let bases: Vec<G1Affine> = points(n, &mut rng);
        // Scalars drawn to hit small values and repeats as well as uniform ones.
        let s: Vec<Fr> = (0..n)
            .map(|i| match (seed as usize + i) % 5 {
                0 => Fr::from((i % 7) as u64),
                1 => -Fr::from((i % 3) as u64),
                _ => Fr::rand(&mut rng),
            })
            .collect();
        let expected = ArkMsm.msm(&bases, &s).unwrap();
        for arithmetic in ARITHMETICS {
            let msm = Pippenger { window: Some(window), arithmetic, glv: None };
            let got = Msm::<g1::Config>::msm(&msm, &bases, &s).unwrap();
            prop_assert_eq!(got.into_affine(), expected.into_affine());
        }
        let table = FixedBases::new(&bases, window).unwrap();
        let got = table.msm(Arithmetic::Fastest, &s).unwrap();
        prop_assert_eq!(got.into_affine(), expected.into_affine());
    }
}
