use super::*;
use crate::layout::{BaseColumns, Tamper};
use halo2_proofs::circuit::SimpleFloorPlanner;
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::Circuit;

const K: u32 = 9;

/// Range checks of public values: the instance is the values, then (if `limbs_public`) every
/// check's limbs.
#[derive(Debug, Clone)]
struct Checks {
    values: Vec<(Fr, usize)>,
    limbs_public: bool,
    tamper: Vec<Tamper>,
}

#[derive(Debug, Clone)]
struct ChecksConfig {
    base: BaseColumns,
    range: RangeConfig,
}

impl Circuit<Fr> for Checks {
    type Config = ChecksConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ChecksConfig {
        let base = BaseColumns::configure(meta);
        let shared = SharedColumns::configure(meta, 2);
        ChecksConfig {
            base,
            range: RangeConfig::configure(meta, &shared),
        }
    }

    fn synthesize(
        &self,
        config: ChecksConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        config.range.load_table(&mut layouter)?;
        let public = layouter.assign_region(
            || "checks",
            |mut region| {
                let mut layout = Layout::new(&mut region, self.tamper.clone());
                let values: Vec<Value<Fr>> =
                    self.values.iter().map(|(x, _)| Value::known(*x)).collect();
                let inputs = config.base.witnesses(&mut layout, &values);
                let mut limbs = Vec::new();
                for (x, (_, bits)) in inputs.iter().zip(&self.values) {
                    limbs.extend(config.range.check(&mut layout, x, *bits)?);
                }
                Ok(if self.limbs_public {
                    inputs.into_iter().chain(limbs).collect()
                } else {
                    inputs
                })
            },
        )?;
        config.base.expose(&mut layouter, &public);
        Ok(())
    }
}

fn two_to(n: usize) -> Fr {
    Fr::from(2).pow([n as u64])
}

fn accepts(values: &[(Fr, usize)], tamper: Vec<Tamper>) -> bool {
    let circuit = Checks {
        values: values.to_vec(),
        limbs_public: false,
        tamper,
    };
    let instance = values.iter().map(|(x, _)| *x).collect();
    MockProver::run(K, &circuit, vec![instance])
        .expect("the circuit fits 2^K rows")
        .verify()
        .is_ok()
}

#[test]
fn the_edges_of_every_width_are_in_range_and_one_past_is_not() {
    for bits in [1, 5, 8, 13, 32, 128, MAX_RANGE_BITS] {
        let top = two_to(bits) - Fr::ONE;
        assert!(
            accepts(&[(Fr::ZERO, bits), (top, bits)], vec![]),
            "{bits} bits"
        );
        assert!(!accepts(&[(two_to(bits), bits)], vec![]), "2^{bits}");
        assert!(
            !accepts(&[(-Fr::ONE, bits)], vec![]),
            "r − 1 in {bits} bits"
        );
    }
}

#[test]
fn the_limbs_are_the_little_endian_bytes() {
    let x = Fr::from(0x0123_4567_89ab_cdef_u64);
    let circuit = Checks {
        values: vec![(x, 64)],
        limbs_public: true,
        tamper: vec![],
    };
    let bytes = [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01].map(Fr::from);
    let instance: Vec<Fr> = std::iter::once(x).chain(bytes).collect();
    let prover = MockProver::run(K, &circuit, vec![instance]).unwrap();
    assert_eq!(prover.verify(), Ok(()));
}

#[test]
fn widths_outside_the_chip_are_a_synthesis_error() {
    for bits in [0, MAX_RANGE_BITS + 1] {
        let circuit = Checks {
            values: vec![(Fr::ONE, bits)],
            limbs_public: false,
            tamper: vec![],
        };
        assert!(matches!(
            MockProver::run(K, &circuit, vec![vec![Fr::ONE]]),
            Err(Error::Synthesis)
        ));
    }
}

/// Cells of one check of `bits` bits: the limbs and running sums (the module docs), after the
/// input's cell.
fn check_cells(bits: usize) -> usize {
    2 * bits.div_ceil(LIMB_BITS) + 1
}

/// A low limb of 256 keeps the running sum (the next limb, carried forward, drops by one): only
/// the limb lookup refuses it. (A top limb past its width with the lower limbs still bytes is a
/// value of `2^n` or more, which the edge test above refuses.)
#[test]
fn a_limb_out_of_range_that_keeps_the_running_sum_is_refused() {
    // x = 0x0100 in 16 bits: honest limbs 0x00, 0x01; forged 0x100, then 0x00.
    // Cells: input 0, z_0 copy 1, l_0 2, z_1 3, l_1 4, z_2 5.
    let forged = vec![Tamper {
        cell: 2,
        delta: Fr::from(256),
    }];
    assert!(accepts(&[(Fr::from(0x0100), 16)], vec![]));
    assert!(!accepts(&[(Fr::from(0x0100), 16)], forged));
}

#[test]
fn changing_any_one_advice_cell_breaks_a_check() {
    let values = [(Fr::from(0x1f2e), 13), (two_to(128) - Fr::ONE, 128)];
    let cells = values.len() + values.iter().map(|(_, b)| check_cells(*b)).sum::<usize>();
    for cell in 0..cells {
        for delta in [Fr::ONE, -Fr::from(255)] {
            assert!(
                !accepts(&values, vec![Tamper { cell, delta }]),
                "advice cell {cell} changed by {delta:?} still verifies"
            );
        }
    }
    assert!(accepts(
        &values,
        vec![Tamper {
            cell: cells,
            delta: Fr::ONE,
        }]
    ));
}

/// Widths that are not whole bytes use the top lookup: a real proof of them verifies.
#[test]
fn a_real_proof_of_checks_of_every_kind_of_width_verifies() {
    let values = [
        (Fr::from(0x1f2e), 13),
        (two_to(128) - Fr::ONE, 128),
        (Fr::from(5), 3),
    ];
    let circuit = Checks {
        values: values.to_vec(),
        limbs_public: false,
        tamper: vec![],
    };
    let instance: Vec<Fr> = values.iter().map(|(x, _)| *x).collect();
    assert!(crate::layout::real_proof_verifies(K, &circuit, &instance));
}
