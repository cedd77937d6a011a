//! A proving key's fixed-base tables kept on disk: read back point for point, refused with a
//! named error when the file is another key's, another budget's, torn or corrupted, and used by
//! a prover restarted on the same key.

use crate::prove::{a_transfer_batch, domain, keys};
use ark_bn254::{g1, Bn254, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use ark_std::UniformRand;
use std::fs;
use std::path::Path;
use zksettle_prover::msm::FixedBases;
use zksettle_prover::{key_digest, verify, BatchProver, KeyTables, TablesFileError};

const BUDGET: usize = 64 << 20;

/// `n` distinct points `k·P`, `k = 1..=n`, for a random `P`.
fn multiples<G: CurveGroup + UniformRand>(n: usize, rng: &mut StdRng) -> Vec<G::Affine> {
    let step = G::rand(rng);
    let mut next = step;
    let points: Vec<G> = (0..n)
        .map(|_| {
            let point = next;
            next += step;
            point
        })
        .collect();
    G::normalize_batch(&points)
}

/// A proving key's shape with 2^11 random points per query: every query gets a table within
/// [`BUDGET`], and building them takes well under a second. Not a key that proves anything;
/// the tables are a function of the points alone.
fn small_key() -> ProvingKey<Bn254> {
    let mut rng = StdRng::seed_from_u64(2026);
    let n = 1 << 11;
    ProvingKey {
        vk: VerifyingKey::default(),
        beta_g1: ark_bn254::G1Affine::generator(),
        delta_g1: ark_bn254::G1Affine::generator(),
        a_query: multiples::<G1Projective>(n, &mut rng),
        b_g1_query: multiples::<G1Projective>(n, &mut rng),
        b_g2_query: multiples::<G2Projective>(n, &mut rng),
        h_query: multiples::<G1Projective>(n, &mut rng),
        l_query: multiples::<G1Projective>(n, &mut rng),
    }
}

fn one_thread() -> zksettle_prover::parallel::ThreadPool {
    zksettle_prover::parallel::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}

fn same_points(a: &KeyTables, b: &KeyTables) -> bool {
    let g1 = |x: &Option<FixedBases<g1::Config>>, y: &Option<FixedBases<g1::Config>>| match (x, y) {
        (Some(x), Some(y)) => {
            (x.window(), x.windows(), x.len(), x.points())
                == (y.window(), y.windows(), y.len(), y.points())
        }
        (None, None) => true,
        _ => false,
    };
    let g2 = match (&a.b_g2, &b.b_g2) {
        (Some(x), Some(y)) => {
            (x.window(), x.len(), x.points()) == (y.window(), y.len(), y.points())
        }
        (None, None) => true,
        _ => false,
    };
    g1(&a.h, &b.h) && g1(&a.l, &b.l) && g1(&a.a, &b.a) && g1(&a.b_g1, &b.b_g1) && g2
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at] ^= 1;
    fs::write(path, bytes).unwrap();
}

#[test]
fn tables_written_to_disk_read_back_point_for_point_and_anything_else_is_refused_by_name() {
    let pk = &small_key();
    let digest = key_digest(pk);
    let built = KeyTables::build(pk, BUDGET, 2).unwrap();
    assert_eq!(built.queries(), 5, "every query has a table");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.tables");
    built.write(&path, digest, BUDGET, 2).unwrap();

    let read = KeyTables::read(&path, digest, BUDGET, 2).unwrap();
    assert!(same_points(&built, &read));

    let mut other_key = digest;
    other_key[0] ^= 1;
    assert!(matches!(
        KeyTables::read(&path, other_key, BUDGET, 2),
        Err(TablesFileError::OtherKey(_))
    ));
    assert!(matches!(
        KeyTables::read(&path, digest, BUDGET / 2, 2),
        Err(TablesFileError::OtherChoices { budget, threads: 2, .. }) if budget == BUDGET as u64
    ));

    let length = fs::metadata(&path).unwrap().len() as usize;
    for at in [100, length / 2, length - 1] {
        let copy = dir.path().join(format!("flipped-{at}.tables"));
        fs::copy(&path, &copy).unwrap();
        flip_byte(&copy, at);
        assert!(
            matches!(
                KeyTables::read(&copy, digest, BUDGET, 2),
                Err(TablesFileError::Corrupt(_) | TablesFileError::BadHeader { .. })
            ),
            "a flipped byte at {at} of {length} is refused"
        );
    }
    let torn = dir.path().join("torn.tables");
    fs::write(&torn, &fs::read(&path).unwrap()[..length / 3]).unwrap();
    assert!(matches!(
        KeyTables::read(&torn, digest, BUDGET, 2),
        Err(TablesFileError::Corrupt(_) | TablesFileError::BadHeader { .. })
    ));
    let longer = dir.path().join("longer.tables");
    let mut bytes = fs::read(&path).unwrap();
    bytes.push(0);
    fs::write(&longer, bytes).unwrap();
    assert!(matches!(
        KeyTables::read(&longer, digest, BUDGET, 2),
        Err(TablesFileError::Corrupt(_))
    ));
    let stranger = dir.path().join("stranger.tables");
    fs::write(&stranger, b"not tables at all").unwrap();
    assert!(matches!(
        KeyTables::read(&stranger, digest, BUDGET, 2),
        Err(TablesFileError::NotATablesFile(_))
    ));
}

#[test]
fn a_prover_restarted_on_the_same_key_reads_its_tables_back_and_its_proofs_verify() {
    let (_, keys) = keys();
    let pk = &keys.proving_key;
    // Room for the smallest G1 query's table at the widest window: at least one table, and
    // no more memory than that in a test.
    let smallest = [&pk.a_query, &pk.b_g1_query, &pk.h_query, &pk.l_query]
        .iter()
        .map(|q| q.len())
        .min()
        .unwrap();
    let budget = FixedBases::<g1::Config>::bytes(smallest, 18);
    let dir = tempfile::tempdir().unwrap();
    let pool = one_thread();

    let first = BatchProver::new(keys.clone(), domain()).unwrap();
    let stored = first
        .load_or_build_tables_on(budget, &pool, dir.path())
        .unwrap();
    assert!(!stored.loaded);
    assert!(stored.refused.is_none() && stored.not_saved.is_none());
    assert!(stored.tables.queries() >= 1, "the budget holds a table");
    assert!(stored.path.exists());
    let path = stored.path.clone();

    let restarted = BatchProver::new(keys.clone(), domain()).unwrap();
    let stored = restarted
        .load_or_build_tables_on(budget, &pool, dir.path())
        .unwrap();
    assert!(stored.loaded, "the second start reads the file");
    assert_eq!(stored.path, path);
    assert!(same_points(first.tables().unwrap(), stored.tables));
    let proof = restarted.prove(&a_transfer_batch(), &|_| {}).unwrap();
    assert!(verify(keys.verifying_key(), &proof).unwrap());

    // A corrupted file is not used: the tables are rebuilt and written again.
    flip_byte(&path, 200);
    let third = BatchProver::new(keys.clone(), domain()).unwrap();
    let stored = third
        .load_or_build_tables_on(budget, &pool, dir.path())
        .unwrap();
    assert!(!stored.loaded);
    assert!(matches!(stored.refused, Some(TablesFileError::Corrupt(_))));
    assert!(stored.not_saved.is_none());
    assert!(KeyTables::read(
        &path,
        key_digest(&keys.proving_key),
        budget,
        zksettle_prover::parallel::current_num_threads()
    )
    .is_ok());
}
