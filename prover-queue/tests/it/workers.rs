//! Workers proving real batches from the queue.

use super::*;
use ark_serialize::CanonicalDeserialize;
use tokio_util::sync::CancellationToken;
use zksettle_prover::{verify, BatchProof};
use zksettle_prover_queue::{FinishedJob, Outcome, Step, WorkerError};

/// Waits until batches `1..=n` are all finished (proven or failed).
async fn until_finished(queue: &JobQueue, n: u64) -> Vec<FinishedJob> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        // The server may be restarting: an error is another poll.
        if let Ok(finished) = queue.finished(1, n).await {
            if finished.len() as u64 == n {
                return finished;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "batches not proven in 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every job is proven once, with a proof of its own statement under the tests' key.
fn assert_all_proven(finished: &[FinishedJob], batches: &[BatchWitness]) {
    for (job, witness) in finished.iter().zip(batches) {
        assert_eq!(job.batch, witness.number);
        assert_eq!(job.commitment, witness.commitment);
        let Outcome::Proven { proof, .. } = &job.outcome else {
            panic!("batch {} not proven: {:?}", job.batch, job.outcome);
        };
        let proof = BatchProof {
            commitment: witness.commitment,
            proof: CanonicalDeserialize::deserialize_compressed(proof.as_slice()).unwrap(),
        };
        assert!(verify(prover().keys().verifying_key(), &proof).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_prove_a_run_of_batches_each_exactly_once() {
    let (_pg, queue, url) = queue().await;
    let batches = batches(6);
    for w in &batches {
        queue.enqueue(&job(w, 3)).await.unwrap();
    }
    let cancel = CancellationToken::new();
    let running: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            let (w, url, cancel) = (worker(&queue, name, quick()), url.clone(), cancel.clone());
            tokio::spawn(async move { w.run(&url, cancel).await })
        })
        .collect();
    let finished = until_finished(&queue, 6).await;
    cancel.cancel();
    for r in running {
        r.await.unwrap();
    }
    assert_all_proven(&finished, &batches);
    assert!(finished.iter().all(|j| j.attempts == 1), "{finished:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_loses_nothing() {
    let (mut pg, queue, url) = queue().await;
    let batches = batches(4);
    for w in &batches {
        queue.enqueue(&job(w, 5)).await.unwrap();
    }
    let cancel = CancellationToken::new();
    let w = worker(&queue, "survivor", quick());
    let running = {
        let (url, cancel) = (url.clone(), cancel.clone());
        tokio::spawn(async move { w.run(&url, cancel).await })
    };
    // Restart while the first proofs are under way.
    loop {
        let stats = queue.stats().await.unwrap();
        if stats.leased + stats.proven > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // On this (the test's) thread, which the server's parent-death signal is tied to; the
    // worker's tasks run on the runtime's workers meanwhile.
    pg.restart();
    let finished = until_finished(&queue, 4).await;
    cancel.cancel();
    running.await.unwrap();
    assert_all_proven(&finished, &batches);
}

#[tokio::test]
async fn a_worker_with_another_key_refuses_the_jobs_by_name_and_leaves_them_queued() {
    let (_pg, queue, _) = queue().await;
    let batches = batches(2);
    for w in &batches {
        let mut other = job(w, 3);
        other.key_hash = [7; 32];
        queue.enqueue(&other).await.unwrap();
    }
    let w = worker(&queue, "wrong", quick());
    let refused = w.step(0, &CancellationToken::new()).await;
    match refused {
        Err(WorkerError::KeyMismatch { ours, queued, jobs }) => {
            assert_eq!(ours, prover().keys().vk_hash);
            assert_eq!((queued, jobs), (vec![[7; 32]], 2));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(queue.stats().await.unwrap().queued, 2);
}

#[tokio::test]
async fn a_job_whose_witness_is_garbage_fails_at_once_with_the_reason() {
    let (_pg, queue, url) = queue().await;
    let batches = batches(1);
    queue.enqueue(&job(&batches[0], 5)).await.unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute("UPDATE prover_jobs SET witness = '\\x7b7d'", &[])
        .await
        .unwrap();
    let w = worker(&queue, "w", quick());
    assert_eq!(
        w.step(0, &CancellationToken::new()).await.unwrap(),
        Step::Failed(1)
    );
    match &queue.finished(1, 1).await.unwrap()[0].outcome {
        Outcome::Failed { error } => {
            assert!(error.contains("does not decode"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_gives_its_lease_back_without_spending_an_attempt() {
    let (_pg, queue, _) = queue().await;
    let batches = batches(1);
    queue.enqueue(&job(&batches[0], 1)).await.unwrap();
    let w = worker(&queue, "w", quick());
    let cancel = CancellationToken::new();
    let stepping = {
        let (w, cancel) = (w.clone(), cancel.clone());
        tokio::spawn(async move { w.step(0, &cancel).await })
    };
    while queue.stats().await.unwrap().leased == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cancel.cancel();
    assert_eq!(stepping.await.unwrap().unwrap(), Step::GaveBack(1));
    // Its one attempt is still there for the next worker.
    let next = worker(&queue, "next", quick());
    assert_eq!(
        next.step(0, &CancellationToken::new()).await.unwrap(),
        Step::Proven(1)
    );
}
