//! The queue's statements, one actor at a time: who may complete, what an expired lease
//! becomes, what a resealed batch does to its job.

use super::*;
use zksettle_prover_queue::Outcome;

const LEASE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn only_the_lease_holder_completes_a_job_and_only_once() {
    let (_pg, queue, _) = queue().await;
    let batches = batches(1);
    let w = &batches[0];
    assert!(queue.enqueue(&job(w, 3)).await.unwrap());
    // The same statement again is not a new job.
    assert!(!queue.enqueue(&job(w, 3)).await.unwrap());
    let key = prover().keys().vk_hash;
    let claimed = queue.claim("a", &key, LEASE).await.unwrap().unwrap();
    assert_eq!((claimed.batch, claimed.attempt), (1, 1));
    assert_eq!(claimed.witness().unwrap(), *w);
    assert!(queue.claim("b", &key, LEASE).await.unwrap().is_none());

    let proof = [7u8; 128];
    // Someone else, or the holder for another statement, stores nothing.
    assert!(!queue
        .complete(1, "b", "b", &w.commitment, &proof, 1.0)
        .await
        .unwrap());
    let other = w.commitment + zksettle_core::Fr::from(1u64);
    assert!(!queue
        .complete(1, "a", "a", &other, &proof, 1.0)
        .await
        .unwrap());
    assert!(queue
        .complete(1, "a", "a", &w.commitment, &proof, 1.5)
        .await
        .unwrap());
    // A duplicate completion, by the holder or anyone, is refused, and so is everything else a
    // former holder might do.
    assert!(!queue
        .complete(1, "a", "a", &w.commitment, &[8u8; 128], 1.0)
        .await
        .unwrap());
    assert!(!queue.heartbeat(1, "a", LEASE).await.unwrap());
    assert!(!queue.give_back(1, "a").await.unwrap());
    assert_eq!(queue.fail(1, "a", "late", true).await.unwrap(), None);

    let finished = queue.finished(1, 10).await.unwrap();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].commitment, w.commitment);
    assert_eq!(
        finished[0].outcome,
        Outcome::Proven {
            proof: proof.to_vec(),
            by: "a".into(),
            seconds: 1.5
        }
    );
}

#[tokio::test]
async fn an_expired_lease_is_retried_until_its_attempts_run_out_then_failed() {
    let (_pg, queue, _) = queue().await;
    let batches = batches(1);
    queue.enqueue(&job(&batches[0], 2)).await.unwrap();
    let key = prover().keys().vk_hash;
    let short = Duration::from_millis(1);

    queue.claim("dead-1", &key, short).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let reclaimed = queue.reclaim_expired().await.unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].owner, "dead-1");
    assert!(!reclaimed[0].failed);
    // The dead worker's late completion is refused.
    assert!(!queue
        .complete(1, "dead-1", "x", &batches[0].commitment, &[1], 1.0)
        .await
        .unwrap());

    let second = queue.claim("dead-2", &key, short).await.unwrap().unwrap();
    assert_eq!(second.attempt, 2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let reclaimed = queue.reclaim_expired().await.unwrap();
    assert!(reclaimed[0].failed, "the second of two attempts");
    assert!(queue.claim("c", &key, LEASE).await.unwrap().is_none());
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.queued, stats.failed), (0, 1));
    match &queue.finished(1, 1).await.unwrap()[0].outcome {
        Outcome::Failed { error } => assert_eq!(error, "the lease of dead-2 expired"),
        other => panic!("{other:?}"),
    }

    // An operator queues it again, with fresh attempts.
    assert!(queue.retry_failed(1).await.unwrap());
    assert_eq!(
        queue
            .claim("c", &key, LEASE)
            .await
            .unwrap()
            .unwrap()
            .attempt,
        1
    );
}

#[tokio::test]
async fn a_resealed_batch_replaces_its_job_and_the_old_statement_is_never_stored() {
    let (_pg, queue, _) = queue().await;
    let first = batches(1);
    // Batch 1 again, with other contents: another commitment.
    let mut world = World::new(SHAPE);
    let resealed = world.batch(vec![deposit(2, 0, 5, 2)], vec![]).witness;
    assert_ne!(first[0].commitment, resealed.commitment);

    queue.enqueue(&job(&first[0], 3)).await.unwrap();
    let key = prover().keys().vk_hash;
    queue.claim("a", &key, LEASE).await.unwrap().unwrap();
    assert!(queue.enqueue(&job(&resealed, 3)).await.unwrap());
    assert!(!queue
        .complete(1, "a", "a", &first[0].commitment, &[1], 1.0)
        .await
        .unwrap());
    let again = queue.claim("b", &key, LEASE).await.unwrap().unwrap();
    assert_eq!((again.commitment, again.attempt), (resealed.commitment, 1));
}

#[tokio::test]
async fn a_proof_the_node_rejects_counts_as_a_failed_attempt() {
    let (_pg, queue, _) = queue().await;
    let batches = batches(1);
    let c = batches[0].commitment;
    queue.enqueue(&job(&batches[0], 1)).await.unwrap();
    let key = prover().keys().vk_hash;
    queue.claim("a", &key, LEASE).await.unwrap().unwrap();
    queue
        .complete(1, "a", "a", &c, &[0; 128], 1.0)
        .await
        .unwrap();
    assert!(queue.reject_proof(1, &c, "does not verify").await.unwrap());
    // That was its only attempt.
    match &queue.finished(1, 1).await.unwrap()[0].outcome {
        Outcome::Failed { error } => assert_eq!(error, "does not verify"),
        other => panic!("{other:?}"),
    }
    assert!(!queue.reject_proof(1, &c, "twice").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_migrating_at_once_agree_on_one_schema() {
    let (mut pg, _queue, _) = queue().await;
    let url = pg.new_database();
    let connecting: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { JobQueue::connect(&url).await.map(drop) })
        })
        .collect();
    for connected in connecting {
        connected.await.unwrap().unwrap();
    }
}
