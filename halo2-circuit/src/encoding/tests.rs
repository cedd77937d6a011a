use super::*;
use crate::field::to_circuit;
use crate::layout::{BaseColumns, SharedColumns, Tamper};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use zksettle_core::babyjubjub::Point;
use zksettle_core::eddsa::PrivateKey;

const K: u32 = 10;

/// One encoding of public inputs; the instance is the inputs, then the encoding's output.
#[derive(Debug, Clone)]
enum Op {
    /// `x ≤ bound` and its bytes.
    BytesAtMost(Fr, Fr),
    /// The packed point `(x, y)`.
    PackedPoint(Fr, Fr),
    /// The value of a packed float.
    Float(FloatFormat, u64),
}

#[derive(Debug, Clone)]
struct Encode {
    op: Op,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct EncodeConfig {
    base: BaseColumns,
    arith: ArithConfig,
    range: RangeConfig,
    linear: SpreadConfig,
}

impl Circuit<Fr> for Encode {
    type Config = EncodeConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> EncodeConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        EncodeConfig {
            base,
            arith: ArithConfig::configure(meta, &shared),
            range: RangeConfig::configure(meta, &shared),
            linear: SpreadConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: EncodeConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.range.load_table(&mut layouter)?;
        config.linear.load_table(&mut layouter)?;
        let public = layouter.assign_region(
            || "encode",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let encodings = Encodings {
                    arith: &config.arith,
                    range: &config.range,
                    linear: &config.linear,
                };
                let inputs: Vec<Fr> = match &self.op {
                    Op::BytesAtMost(x, _) => vec![*x],
                    Op::PackedPoint(x, y) => vec![*x, *y],
                    Op::Float(_, packed) => vec![Fr::from(*packed)],
                };
                let values: Vec<Value<Fr>> = inputs.into_iter().map(Value::known).collect();
                let w = config.base.witnesses(&mut layout, &values);
                let out = match &self.op {
                    Op::BytesAtMost(_, bound) => {
                        encodings.bytes_at_most(&mut layout, &w[0], *bound)?
                    }
                    Op::PackedPoint(..) => encodings.packed_point(&mut layout, &w[0], &w[1])?,
                    Op::Float(format, _) => {
                        vec![encodings.unpack_float(&mut layout, format, &w[0])?]
                    }
                };
                CELLS.with(|c| c.set(layout.advice_cells()));
                Ok(w.into_iter().chain(out).collect::<Vec<_>>())
            },
        )?;
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

thread_local! {
    /// Advice cells of the last encoding laid out on this thread.
    static CELLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn bytes_of(x: Fr) -> Vec<Fr> {
    x.to_repr()
        .iter()
        .map(|b| Fr::from(u64::from(*b)))
        .collect()
}

fn verifies(op: Op, expected: Vec<Fr>, tamper: Vec<Tamper>) -> bool {
    let mut instance = match &op {
        Op::BytesAtMost(x, _) => vec![*x],
        Op::PackedPoint(x, y) => vec![*x, *y],
        Op::Float(_, packed) => vec![Fr::from(*packed)],
    };
    instance.extend(expected);
    let circuit = Encode { op, tamper };
    MockProver::run(K, &circuit, vec![instance])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

/// `−P = (−x, y)`, on the curve with `P`.
fn negated(p: &Point) -> Point {
    Point { x: -p.x, y: p.y }
}

fn point(p: &Point) -> (Fr, Fr) {
    (to_circuit(&p.x), to_circuit(&p.y))
}

#[test]
fn bounded_bytes_accept_the_bound_and_refuse_one_past_it() {
    let half = half_modulus();
    for (x, bound) in [
        (-Fr::ONE, -Fr::ONE),
        (Fr::ZERO, -Fr::ONE),
        (half, half),
        (Fr::from(0x1234), Fr::from(0x1234)),
        (two_to(128) - Fr::ONE, two_to(128)),
        (two_to(128), two_to(128)),
    ] {
        assert!(
            verifies(Op::BytesAtMost(x, bound), bytes_of(x), vec![]),
            "{x:?}"
        );
    }
    for (x, bound) in [
        (half + Fr::ONE, half),
        (Fr::from(0x1235), Fr::from(0x1234)),
        (two_to(128) + Fr::ONE, two_to(128)),
        (two_to(129), two_to(128) + Fr::from(7)),
    ] {
        assert!(
            !verifies(Op::BytesAtMost(x, bound), bytes_of(x), vec![]),
            "{x:?}"
        );
    }
}

#[test]
fn packed_points_are_circomlibs() {
    let mut points = vec![Point::IDENTITY];
    for seed in 1..6u8 {
        let key = PrivateKey::from_bytes([seed; 32]).public_key().0;
        points.push(key);
        points.push(negated(&key));
    }
    let mut signs = [0, 0];
    for p in &points {
        let packed = p.pack();
        signs[usize::from(packed[31] >> 7)] += 1;
        let expected = packed.iter().map(|b| Fr::from(u64::from(*b))).collect();
        let (x, y) = point(p);
        assert!(verifies(Op::PackedPoint(x, y), expected, vec![]), "{p:?}");
    }
    assert!(
        signs[0] > 0 && signs[1] > 0,
        "both signs are exercised: {signs:?}"
    );
    // The other sign's encoding of the same point is refused.
    let p = &points[1];
    let mut packed = p.pack();
    packed[31] ^= 0x80;
    let (x, y) = point(p);
    let other = packed.iter().map(|b| Fr::from(u64::from(*b))).collect();
    assert!(!verifies(Op::PackedPoint(x, y), other, vec![]));
}

#[test]
fn packed_floats_unpack_as_the_core_does_and_only_canonical_ones() {
    for format in [AMOUNT_FORMAT, FEE_FORMAT] {
        let limit = 1u128 << format.mantissa_bits;
        for value in [
            0,
            1,
            9,
            limit - 1,
            limit * 10,
            123_000_000,
            (limit - 1) * 10u128.pow(31),
        ] {
            let Ok(packed) = format.pack(value) else {
                continue;
            };
            let expected = vec![Fr::from_u128(value)];
            assert!(
                verifies(Op::Float(format, u64::from(packed)), expected, vec![]),
                "{value}"
            );
        }
        // 10 as mantissa 1, exponent 1 (canonically mantissa 10), and zero with an exponent.
        let mb = format.mantissa_bits;
        for (packed, value) in [((1 << mb) | 1, 10u64), (1 << mb, 0)] {
            assert_eq!(format.unpack(packed) as u64, value);
            assert_eq!(format.unpack_canonical(packed), None);
            assert!(!verifies(
                Op::Float(format, u64::from(packed)),
                vec![Fr::from(value)],
                vec![]
            ));
        }
    }
}

/// Every advice cell of a packed point (both signs) and of a float, changed alone, is refused.
#[test]
fn changing_any_one_advice_cell_of_an_encoding_breaks_it() {
    let key = PrivateKey::from_bytes([3; 32]).public_key().0;
    let float = AMOUNT_FORMAT.pack(4_500_000_000).expect("packable");
    let cases: Vec<(Op, Vec<Fr>)> = [key, negated(&key)]
        .iter()
        .map(|p| {
            let (x, y) = point(p);
            let packed = p.pack().iter().map(|b| Fr::from(u64::from(*b))).collect();
            (Op::PackedPoint(x, y), packed)
        })
        .chain([(
            Op::Float(AMOUNT_FORMAT, u64::from(float)),
            vec![Fr::from(4_500_000_000u64)],
        )])
        .collect();
    for (op, expected) in cases {
        assert!(verifies(op.clone(), expected.clone(), vec![]));
        let cells = advice_cells(&op);
        for cell in (0..cells).step_by(crate::layout::sweep_stride(1)) {
            for delta in [Fr::ONE, -Fr::from(256)] {
                assert!(
                    !verifies(op.clone(), expected.clone(), vec![Tamper { cell, delta }]),
                    "{op:?}: cell {cell} + {delta:?}"
                );
            }
        }
        let past = vec![Tamper {
            cell: cells,
            delta: Fr::ONE,
        }];
        assert!(verifies(op, expected, past));
    }
}

/// The advice cells the last encoding laid out on this thread assigned, inputs included.
fn advice_cells(op: &Op) -> usize {
    let circuit = Encode {
        op: op.clone(),
        tamper: vec![],
    };
    // Synthesis runs without the instance's check; only the count is read.
    let _ = MockProver::run(K, &circuit, vec![vec![]]);
    CELLS.with(|c| c.get())
}

#[test]
fn a_real_proof_of_each_encoding_verifies() {
    let key = PrivateKey::from_bytes([3; 32]).public_key().0;
    let (x, y) = point(&negated(&key));
    let packed: Vec<Fr> = negated(&key)
        .pack()
        .iter()
        .map(|b| Fr::from(u64::from(*b)))
        .collect();
    let float = AMOUNT_FORMAT.pack(4_500_000_000).expect("packable");
    for (op, mut instance) in [
        (Op::PackedPoint(x, y), vec![x, y]),
        (
            Op::Float(AMOUNT_FORMAT, u64::from(float)),
            vec![Fr::from(u64::from(float))],
        ),
    ] {
        let expected = if matches!(op, Op::PackedPoint(..)) {
            packed.clone()
        } else {
            vec![Fr::from(4_500_000_000u64)]
        };
        instance.extend(expected);
        let circuit = Encode { op, tamper: vec![] };
        assert!(
            crate::layout::real_proof_verifies(K, &circuit, &instance),
            "{:?}",
            circuit.op
        );
    }
}
