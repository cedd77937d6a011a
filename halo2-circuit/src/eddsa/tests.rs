use super::*;
use crate::babyjubjub::coordinates;
use crate::field::{subgroup_scalar, to_circuit};
use crate::layout::{BaseColumns, Tamper};
use ark_ff::Field as _;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;
use rand::{Rng, SeedableRng};
use zksettle_core::eddsa::PrivateKey;

const K: u32 = 10;

/// One verification with every input public: the instance is `m, A.x, A.y, R8.x, R8.y, S,
/// enabled`.
#[derive(Debug, Clone)]
struct Verify {
    public: [Fr; 7],
    tamper: Option<Tamper>,
}

#[derive(Debug, Clone)]
struct VerifyConfig {
    base: BaseColumns,
    poseidon: PoseidonConfig,
    eddsa: EddsaConfig,
}

impl Circuit<Fr> for Verify {
    type Config = VerifyConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> VerifyConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        VerifyConfig {
            base,
            poseidon: PoseidonConfig::configure(meta, &shared, &[5]),
            eddsa: EddsaConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: VerifyConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let (inputs, rows, cells) = layouter.assign_region(
            || "verify",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper);
                let w = config
                    .base
                    .witnesses(&mut layout, &self.public.map(Value::known));
                let (rows, cells) = (layout.rows_used(), layout.advice_cells());
                let point = |i: usize| PointWords {
                    x: w[i],
                    y: w[i + 1],
                };
                let signature = SignatureWords {
                    r8: point(3),
                    s: w[5],
                };
                config.eddsa.verify_if(
                    &mut layout,
                    &config.poseidon,
                    &w[0],
                    &point(1),
                    &signature,
                    &w[6],
                )?;
                Ok((w, layout.rows_used() - rows, layout.advice_cells() - cells))
            },
        )?;
        config.base.expose(&mut layouter, &inputs);
        LAYOUT.with(|l| l.set((rows, cells)));
        Ok(())
    }
}

thread_local! {
    /// Rows and advice cells of the last verification laid out on this thread.
    static LAYOUT: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// A circomlibjs-compatible signature (the core's signer is pinned to circomlibjs' vectors).
struct Signed {
    message: Fr,
    key: Point,
    r8: Point,
    s: Fr,
}

fn signed(seed: u8) -> Signed {
    let key = PrivateKey::from_bytes([seed; 32]);
    let message = zksettle_core::Fr::from(123_456_789u64 + u64::from(seed));
    let signature = key.sign(message);
    Signed {
        message: to_circuit(&message),
        key: key.public_key().0,
        r8: signature.r8,
        s: subgroup_scalar(&signature.s),
    }
}

fn public(m: Fr, key: &Point, r8: &Point, s: Fr, enabled: bool) -> [Fr; 7] {
    let (ax, ay) = coordinates(key);
    let (rx, ry) = coordinates(r8);
    [m, ax, ay, rx, ry, s, Fr::from(u64::from(enabled))]
}

fn honest(sig: &Signed) -> [Fr; 7] {
    public(sig.message, &sig.key, &sig.r8, sig.s, true)
}

fn accepts(public: [Fr; 7], tamper: Option<Tamper>) -> bool {
    let circuit = Verify { public, tamper };
    MockProver::run(K, &circuit, vec![public.to_vec()])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

fn l() -> Fr {
    // l − 1 + 1: the integer l, which is no scalar modulo l.
    subgroup_scalar(&-SubgroupScalar::ONE) + Fr::ONE
}

#[test]
fn a_circomlibjs_signature_verifies_in_the_rows_the_module_docs_give() {
    for seed in [42, 7] {
        assert!(accepts(honest(&signed(seed)), None), "seed {seed}");
    }
    assert_eq!(
        LAYOUT.with(|l| l.get()),
        (582, 5_092),
        "the module docs' count"
    );
}

#[test]
fn every_mutation_of_a_signature_is_refused() {
    let sig = signed(42);
    let other = PrivateKey::from_bytes([43; 32]).public_key().0;
    let one = Fr::ONE;
    let r8_moved = sig.r8.add(&Point::base8());
    let r8_off_curve = Point {
        x: sig.r8.x + zksettle_core::Fr::from(1u64),
        y: sig.r8.y,
    };
    let key_off_curve = Point {
        x: sig.key.x,
        y: sig.key.y + zksettle_core::Fr::from(1u64),
    };
    let cases = [
        (
            "message",
            public(sig.message + one, &sig.key, &sig.r8, sig.s, true),
        ),
        ("key", public(sig.message, &other, &sig.r8, sig.s, true)),
        ("R8", public(sig.message, &sig.key, &r8_moved, sig.s, true)),
        (
            "S",
            public(sig.message, &sig.key, &sig.r8, sig.s + one, true),
        ),
        (
            "S + l (malleated)",
            public(sig.message, &sig.key, &sig.r8, sig.s + l(), true),
        ),
        (
            "R8 off the curve",
            public(sig.message, &sig.key, &r8_off_curve, sig.s, true),
        ),
        (
            "key off the curve",
            public(sig.message, &key_off_curve, &sig.r8, sig.s, true),
        ),
        ("enabled = 2", {
            let mut p = honest(&sig);
            p[6] = Fr::from(2);
            p
        }),
    ];
    for (name, public) in cases {
        assert!(!accepts(public, None), "{name} mutated still verifies");
    }
}

#[test]
fn the_identity_key_cannot_sign() {
    // R8 = S·B8 satisfies S·B8 = R8 + h·A8 under A = O for any message.
    let s = SubgroupScalar::from(99u64);
    let r8 = Point::base8().mul(&s);
    assert!(!accepts(
        public(Fr::ONE, &Point::IDENTITY, &r8, Fr::from(99), true),
        None
    ));
}

#[test]
fn a_disabled_check_accepts_anything_on_the_curve_but_not_off_it() {
    let sig = signed(42);
    assert!(accepts(
        public(Fr::from(5), &sig.key, &sig.r8, Fr::from(7), false),
        None
    ));
    let o = Point::IDENTITY;
    assert!(accepts(public(Fr::from(5), &o, &o, Fr::ZERO, false), None));
    let off = Point {
        x: o.x + zksettle_core::Fr::from(1u64),
        y: o.y,
    };
    assert!(!accepts(
        public(Fr::from(5), &off, &o, Fr::ZERO, false),
        None
    ));
    assert!(
        !accepts(public(Fr::from(5), &o, &o, l(), false), None),
        "S = l"
    );
}

/// A cheating prover changes one advice cell of a valid verification and carries the change
/// forward (the chips go on from the cells as assigned): some gate, copy or constant must refuse
/// it, for every cell, the inputs' included (they are bound to the instance).
#[test]
fn changing_any_one_advice_cell_of_a_verification_breaks_it() {
    let honest = honest(&signed(42));
    assert!(accepts(honest, None));
    let cells = 7 + LAYOUT.with(|l| l.get()).1;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(29);
    for cell in (0..cells).step_by(crate::layout::sweep_stride(23)) {
        let delta = if cell % 2 == 0 {
            Fr::ONE
        } else {
            to_circuit(&zksettle_core::Fr::from(rng.random::<u64>() | 1))
        };
        assert!(
            !accepts(honest, Some(Tamper { cell, delta })),
            "advice cell {cell} changed by {delta:?} still verifies"
        );
    }
    let past_the_last = Tamper {
        cell: cells,
        delta: Fr::ONE,
    };
    assert!(accepts(honest, Some(past_the_last)));
}
