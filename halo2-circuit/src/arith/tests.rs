use super::*;
use crate::layout::{BaseColumns, Tamper};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const K: u32 = 6;

/// Every operation on public inputs `x, y, w, bit`; the instance is the inputs, then (if
/// `outputs_public`) the results in the order of [`expected`].
#[derive(Debug, Clone)]
struct Ops {
    inputs: [Fr; 4],
    outputs_public: bool,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct OpsConfig {
    base: BaseColumns,
    arith: ArithConfig,
}

impl Circuit<Fr> for Ops {
    type Config = OpsConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> OpsConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 6);
        OpsConfig {
            base,
            arith: ArithConfig::configure(meta, &shared),
        }
    }

    fn synthesize(&self, config: OpsConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let public = layouter.assign_region(
            || "ops",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let inputs = config
                    .base
                    .witnesses(&mut layout, &self.inputs.map(Value::known));
                let [x, y, w, bit] = [inputs[0], inputs[1], inputs[2], inputs[3]];
                let arith = &config.arith;
                arith.assert_boolean(&mut layout, &bit)?;
                let difference = arith.sub(&mut layout, &x, &x)?;
                arith.assert_zero(&mut layout, &difference)?;
                let (three, five, seven) = (Fr::from(3), Fr::from(5), Fr::from(7));
                let outputs = [
                    arith.mul(&mut layout, &x, &y)?,
                    arith.linear(&mut layout, (&x, three), (&y, five), seven)?,
                    arith.add(&mut layout, &x, &y)?,
                    arith.sub(&mut layout, &x, &y)?,
                    arith.mul_add(&mut layout, &x, &y, &w)?,
                    arith.select(&mut layout, &bit, &x, &y)?,
                    arith.is_zero(&mut layout, &x)?,
                    arith.is_zero(&mut layout, &difference)?,
                    arith.or(&mut layout, &bit, &bit)?,
                ];
                arith.assert_equal(&mut layout, &x, &x)?;
                arith.assert_product_zero(&mut layout, &difference, &y)?;
                arith.assert_nonzero(&mut layout, &y)?;
                let mut public = vec![x, y, w, bit];
                if self.outputs_public {
                    public.extend(outputs);
                }
                Ok(public)
            },
        )?;
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

fn expected([x, y, w, bit]: [Fr; 4]) -> Vec<Fr> {
    vec![
        x * y,
        x * Fr::from(3) + y * Fr::from(5) + Fr::from(7),
        x + y,
        x - y,
        x * y + w,
        if bit == Fr::ONE { x } else { y },
        Fr::from(u64::from(bool::from(x.is_zero()))),
        Fr::ONE,
        bit,
    ]
}

fn accepts(inputs: [Fr; 4], outputs: Option<Vec<Fr>>, tamper: Vec<Tamper>) -> bool {
    let circuit = Ops {
        inputs,
        outputs_public: outputs.is_some(),
        tamper,
    };
    let instance = inputs
        .into_iter()
        .chain(outputs.unwrap_or_default())
        .collect();
    MockProver::run(K, &circuit, vec![instance])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

#[test]
fn every_operation_computes_what_its_table_row_says() {
    for inputs in [
        [Fr::from(6), Fr::from(7), Fr::from(8), Fr::ONE],
        [Fr::ZERO, -Fr::ONE, Fr::from(3), Fr::ZERO],
    ] {
        assert!(
            accepts(inputs, Some(expected(inputs)), vec![]),
            "{inputs:?}"
        );
    }
}

#[test]
fn a_wrong_result_of_any_operation_is_refused() {
    let inputs = [Fr::from(6), Fr::from(7), Fr::from(8), Fr::ONE];
    for i in 0..expected(inputs).len() {
        let mut wrong = expected(inputs);
        wrong[i] += Fr::ONE;
        assert!(!accepts(inputs, Some(wrong), vec![]), "output {i}");
    }
}

#[test]
fn a_non_boolean_bit_is_refused() {
    let inputs = [Fr::from(6), Fr::from(7), Fr::from(8), Fr::from(2)];
    assert!(!accepts(inputs, None, vec![]));
}

/// With the results free, only a gate can refuse a changed cell: every cell of every row
/// (the `is_zero` witness inverse included, but for `x = 0` where any inverse serves).
#[test]
fn changing_any_one_advice_cell_with_the_results_free_breaks_a_gate() {
    let inputs = [Fr::from(6), Fr::from(7), Fr::from(8), Fr::ONE];
    // 4 inputs, then the assigned cells of the 18 rows: boolean 2, sub 3, zero 1, mul 3,
    // linear 3, add 3, sub 3, mul_add 4, select 3 + 4, each is_zero 3 + 2, or 3, and the
    // equal, product-zero and non-zero assertions 2 each.
    let before_or = 4 + 2 + 3 + 1 + 3 + 3 + 3 + 3 + 4 + 7 + 2 * 5;
    let cells = before_or + 3 + 3 * 2;
    // The second is_zero's inverse (of x − x = 0) is free: its first row's second cell.
    let free_inverse = before_or - 5 + 1;
    for cell in (0..cells).filter(|c| *c != free_inverse) {
        let tamper = vec![Tamper {
            cell,
            delta: Fr::from(3),
        }];
        assert!(
            !accepts(inputs, None, tamper),
            "advice cell {cell} changed still verifies"
        );
    }
    let past = vec![Tamper {
        cell: cells,
        delta: Fr::ONE,
    }];
    assert!(accepts(inputs, None, past));
}

/// A prover claiming `[6 = 0]`: the inverse set to 0 and the flag to 1 satisfy the first row;
/// only `x·z = 0` refuses it.
#[test]
fn is_zero_cannot_call_a_non_zero_value_zero() {
    let inputs = [Fr::from(6), Fr::from(7), Fr::from(8), Fr::ONE];
    // The first is_zero's first row: x at 33, the inverse at 34, the flag at 35 (the cells
    // before it are counted in the sweep below).
    let inverse = Fr::from(6).invert().unwrap();
    let forged = vec![
        Tamper {
            cell: 34,
            delta: -inverse,
        },
        Tamper {
            cell: 35,
            delta: Fr::ONE,
        },
    ];
    assert!(accepts(inputs, None, vec![]));
    assert!(!accepts(inputs, None, forged));
}

#[test]
fn a_real_proof_of_every_operation_verifies() {
    let inputs = [Fr::from(6), Fr::from(7), Fr::from(8), Fr::ONE];
    let circuit = Ops {
        inputs,
        outputs_public: false,
        tamper: vec![],
    };
    assert!(crate::layout::real_proof_verifies(K, &circuit, &inputs));
}
