use super::*;
use crate::layout::{BaseColumns, Tamper};
use halo2_proofs::circuit::SimpleFloorPlanner;
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const K: u32 = 10;

/// `3·x − y + Σ_i 2^(8i)·piece_i − z + k = 0` with `x, y` public inputs, pieces of the given
/// widths and values, `z` a fresh cell holding what makes the equation hold (or `z_delta` off).
#[derive(Debug, Clone)]
struct Equation {
    x: Fr,
    y: Fr,
    pieces: Vec<(u32, u64)>,
    constant: Fr,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct EquationConfig {
    base: BaseColumns,
    spread: SpreadConfig,
}

impl Circuit<Fr> for Equation {
    type Config = EquationConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> EquationConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 8);
        EquationConfig {
            base,
            spread: SpreadConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: EquationConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.spread.load_table(&mut layouter)?;
        let public = layouter.assign_region(
            || "equation",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let inputs = config
                    .base
                    .witnesses(&mut layout, &[Value::known(self.x), Value::known(self.y)]);
                let mut terms = vec![
                    Term::Copy(&inputs[0], Fr::from(3)),
                    Term::Copy(&inputs[1], -Fr::ONE),
                ];
                let mut z = Fr::from(3) * self.x - self.y + self.constant;
                for (i, (len, value)) in self.pieces.iter().enumerate() {
                    let weight = Fr::from(256).pow([i as u64]);
                    z += weight * Fr::from(*value) - Fr::from(spread(*value));
                    terms.push(Term::Piece {
                        len: *len,
                        value: Value::known(*value),
                        dense: weight,
                        spread: -Fr::ONE,
                    });
                }
                terms.push(Term::Fresh(Value::known(z), -Fr::ONE));
                config.spread.equation(&mut layout, &terms, self.constant)?;
                Ok(inputs)
            },
        )?;
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

fn equation(pieces: &[(u32, u64)]) -> Equation {
    Equation {
        x: Fr::from(11),
        y: Fr::from(1_000_003),
        pieces: pieces.to_vec(),
        constant: Fr::from(77),
        tamper: vec![],
    }
}

fn verify(circuit: &Equation) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    MockProver::run(K, circuit, vec![vec![circuit.x, circuit.y]])
        .expect("the circuit fits 2^K rows")
        .verify()
}

#[test]
fn spreads_interleave_zero_bits() {
    assert_eq!(spread(0), 0);
    assert_eq!(spread(0b1011), 0b01_00_01_01);
    assert_eq!(spread(u64::from(u32::MAX)), 0x5555_5555_5555_5555);
}

#[test]
fn every_width_holds_its_largest_piece_and_an_equation_spans_rows() {
    // Nine pieces and three other terms: three rows, the last with free slots for copies.
    let pieces: Vec<(u32, u64)> = (0..=MAX_PIECE_BITS)
        .map(|len| (len, (1 << len) - 1))
        .collect();
    assert_eq!(verify(&equation(&pieces)), Ok(()));
    assert_eq!(verify(&equation(&[])), Ok(()));
}

#[test]
fn a_piece_of_its_width_or_more_is_refused() {
    for len in 0..=MAX_PIECE_BITS {
        assert!(
            verify(&equation(&[(len, 1 << len)])).is_err(),
            "width {len}"
        );
    }
}

#[test]
fn a_piece_wider_than_the_table_is_a_synthesis_error() {
    let circuit = equation(&[(MAX_PIECE_BITS + 1, 0)]);
    assert!(matches!(
        MockProver::run(K, &circuit, vec![vec![circuit.x, circuit.y]]),
        Err(Error::Synthesis)
    ));
}

/// Cells: the two inputs, then per piece its value and spread, the copies, the fresh cell and
/// one running sum per row.
#[test]
fn changing_any_one_advice_cell_breaks_the_equation() {
    let pieces = [(8, 0xa5), (3, 5), (1, 1), (8, 0), (7, 100), (2, 3)];
    let circuit = equation(&pieces);
    assert_eq!(verify(&circuit), Ok(()));
    let rows = (2 * pieces.len() + 3).div_ceil(8);
    let cells = 2 + 2 * pieces.len() + 3 + rows;
    for cell in 0..cells {
        for delta in [Fr::ONE, Fr::from(256)] {
            let forged = Equation {
                tamper: vec![Tamper { cell, delta }],
                ..circuit.clone()
            };
            assert!(verify(&forged).is_err(), "cell {cell} + {delta:?}");
        }
    }
    let past = Equation {
        tamper: vec![Tamper {
            cell: cells,
            delta: Fr::ONE,
        }],
        ..circuit
    };
    assert_eq!(verify(&past), Ok(()));
}

#[test]
fn a_real_proof_of_an_equation_verifies() {
    let circuit = equation(&[(8, 0xa5), (3, 5), (1, 1)]);
    assert!(crate::layout::real_proof_verifies(
        K,
        &circuit,
        &[circuit.x, circuit.y]
    ));
}
