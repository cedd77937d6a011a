use super::*;
use crate::layout::{BaseColumns, Tamper};
use ark_ff::{Field as _, PrimeField as _};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;
use zksettle_core::babyjubjub::SubgroupScalar;

const K: u32 = 9;

/// `start + k·8·point` with the inputs public: the instance is `k`, `point`, `start`, then (if
/// `output_public`) the claimed result.
#[derive(Debug, Clone)]
struct MulAdd {
    k: Fr,
    bits: usize,
    bound: [u64; 4],
    point: Point,
    start: Point,
    output_public: bool,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct MulAddConfig {
    base: BaseColumns,
    curve: CurveConfig,
}

impl Circuit<Fr> for MulAdd {
    type Config = MulAddConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> MulAddConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        MulAddConfig {
            base,
            curve: CurveConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: MulAddConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let cells = layouter.assign_region(
            || "mul add",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let (bx, by) = coordinates(&self.point);
                let (sx, sy) = coordinates(&self.start);
                let values = [self.k, bx, by, sx, sy].map(Value::known);
                let inputs = config.base.witnesses(&mut layout, &values);
                let point = |i: usize| PointWords {
                    x: inputs[i],
                    y: inputs[i + 1],
                };
                let base = config.curve.on_curve_times_eight(&mut layout, &point(1))?;
                config.curve.assert_on_curve(&mut layout, &point(3))?;
                let out = config.curve.mul_add(
                    &mut layout,
                    &inputs[0],
                    self.bits,
                    self.bound,
                    Operand::Cells(base),
                    Operand::Cells(point(3)),
                )?;
                let outputs = if self.output_public {
                    vec![out.x, out.y]
                } else {
                    vec![]
                };
                Ok(inputs.into_iter().chain(outputs).collect::<Vec<_>>())
            },
        )?;
        config.base.expose(&mut layouter, &cells);
        Ok(())
    }
}

fn point(k: u64) -> Point {
    Point::base8().mul(&SubgroupScalar::from(k))
}

/// `5 + k·8·3` in `bits` bits, `k ≤ bound`.
fn small(k: u64, bits: usize, bound: u64) -> MulAdd {
    MulAdd {
        k: Fr::from(k),
        bits,
        bound: [bound, 0, 0, 0],
        point: point(3),
        start: point(5),
        output_public: true,
        tamper: vec![],
    }
}

fn instance(circuit: &MulAdd, claimed: &Point) -> Vec<Fr> {
    let (px, py) = coordinates(&circuit.point);
    let (sx, sy) = coordinates(&circuit.start);
    let (cx, cy) = coordinates(claimed);
    let mut instance = vec![circuit.k, px, py, sx, sy];
    if circuit.output_public {
        instance.extend([cx, cy]);
    }
    instance
}

/// Whether the circuit accepts `claimed` as its result.
fn accepts(circuit: &MulAdd, claimed: &Point) -> bool {
    MockProver::run(K, circuit, vec![instance(circuit, claimed)])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

/// Advice cells before the multiplication's first bit: the 5 inputs, the 8 of the times-eight
/// rows, the 2 of the start's on-curve row, and the multiplication's first row (acc, base, z, le).
const FIRST_BIT_CELL: usize = 5 + 8 + 2 + 6;
/// Advice cells per bit of a multiplication (the module docs).
const CELLS_PER_BIT: usize = 9;

#[test]
fn multiplication_matches_the_core_for_zero_small_and_full_width_scalars() {
    // 5 + 0·24, 5 + 11·24 and 5 + 15·24 (every bit set) in 4 bits.
    for k in [0u64, 11, 15] {
        assert!(accepts(&small(k, 4, 15), &point(5 + 24 * k)), "k = {k}");
    }
    // A full-width scalar below l, from the identity (the fixed-base use in EdDSA).
    let k = SubgroupScalar::from(0xdead_beef_u64).pow([7u64]);
    let circuit = MulAdd {
        k: crate::field::subgroup_scalar(&k),
        bits: 251,
        bound: {
            let mut l = SubgroupScalar::MODULUS.0;
            l[0] -= 1;
            l
        },
        point: Point::base8(),
        start: Point::IDENTITY,
        output_public: true,
        tamper: vec![],
    };
    let eight = SubgroupScalar::from(8u64);
    assert!(accepts(&circuit, &Point::base8().mul(&(k * eight))));
}

#[test]
fn a_wrong_result_is_refused() {
    assert!(!accepts(&small(11, 4, 15), &point(5 + 24 * 12)));
    assert!(!accepts(&small(11, 4, 15), &point(5)));
}

#[test]
fn a_scalar_above_its_bound_or_its_bits_is_refused() {
    assert!(accepts(&small(10, 4, 10), &point(5 + 240)));
    assert!(!accepts(&small(11, 4, 10), &point(5 + 264)), "11 > 10");
    // 16 needs a fifth bit: the running sum cannot end at 0.
    assert!(!accepts(&small(16, 4, 15), &point(5 + 384)));
}

#[test]
fn a_point_off_the_curve_is_refused() {
    let mut circuit = small(11, 4, 15);
    circuit.start.x += zksettle_core::Fr::from(1u64);
    let result = circuit.start.add(&point(264));
    assert!(!accepts(&circuit, &result));
    let mut circuit = small(11, 4, 15);
    circuit.point.y += zksettle_core::Fr::from(1u64);
    circuit.output_public = false;
    assert!(!accepts(&circuit, &Point::IDENTITY), "the base's point");
}

/// Bits `1 + 2m` and `−m` keep the running sum of `k = 1` (and, against an all-ones bound, the
/// comparison): only `b·(1 − b) = 0` refuses them.
#[test]
fn non_boolean_bits_that_keep_the_running_sum_are_refused() {
    let m = Fr::from(1_000_003);
    let mut circuit = small(1, 4, 15);
    circuit.output_public = false;
    circuit.tamper = vec![
        Tamper {
            cell: FIRST_BIT_CELL,
            delta: m + m,
        },
        Tamper {
            cell: FIRST_BIT_CELL + CELLS_PER_BIT,
            delta: -m,
        },
    ];
    assert!(!accepts(&circuit, &Point::IDENTITY));
}

/// With the result left free, only the gate that makes a cell can refuse a change to it, carried
/// forward: every cell of the times-eight, on-curve and multiplication rows.
#[test]
fn changing_any_one_advice_cell_with_the_result_free_breaks_a_gate() {
    let mut circuit = small(11, 4, 15);
    circuit.output_public = false;
    let cells = FIRST_BIT_CELL + CELLS_PER_BIT * 4 - 2;
    for cell in 0..cells {
        for delta in [Fr::ONE, Fr::from(0x1234_5678_9abc_def1)] {
            circuit.tamper = vec![Tamper { cell, delta }];
            assert!(
                !accepts(&circuit, &Point::IDENTITY),
                "advice cell {cell} changed by {delta:?} still verifies"
            );
        }
    }
    circuit.tamper = vec![Tamper {
        cell: cells,
        delta: Fr::ONE,
    }];
    assert!(
        accepts(&circuit, &Point::IDENTITY),
        "one past the last cell"
    );
}

#[test]
fn zero_or_too_many_bits_are_a_synthesis_error() {
    for bits in [0, 255] {
        let circuit = small(1, bits, 15);
        assert!(matches!(
            MockProver::run(K, &circuit, vec![instance(&circuit, &Point::IDENTITY)]),
            Err(Error::Synthesis)
        ));
    }
}
