//! [`Wakeups`]: PostgreSQL notifications (`LISTEN`) on a connection of their own, so that a
//! worker hears of a queued job and the node of a finished one at once instead of at its next
//! poll. Notifications are a hint only: one sent while nobody listened (the connection was
//! down) is never replayed, so every waiter also polls.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel the queue notifies when a job is queued (or queued again).
pub const QUEUED: &str = "prover_jobs_queued";
/// The channel the queue notifies when a job is proven or failed.
pub const DONE: &str = "prover_jobs_done";

/// How long a dropped listening connection waits before it connects again.
const RECONNECT: Duration = Duration::from_secs(1);

/// Wakes its waiter on every notification of one channel; listens (and reconnects) until
/// dropped.
#[derive(Debug)]
pub struct Wakeups {
    notify: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Wakeups {
    /// Listens on `channel` of the database at `url`, from a task on the current runtime.
    pub fn listen(url: &str, channel: &'static str) -> Self {
        let notify = Arc::new(Notify::new());
        let (url, wake) = (url.to_owned(), notify.clone());
        let task = tokio::spawn(async move {
            loop {
                if let Err(e) = listen_once(&url, channel, &wake).await {
                    tracing::debug!(error = %e, channel, "prover queue notifications lost; reconnecting");
                }
                // Whatever was notified meanwhile is lost: wake the waiter to look.
                wake.notify_one();
                tokio::time::sleep(RECONNECT).await;
            }
        });
        Wakeups { notify, task }
    }

    /// Waits for the next notification (or one that came since the last wait).
    pub async fn notified(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection's life: `LISTEN`, then a wake-up per notification until it drops.
async fn listen_once(
    url: &str,
    channel: &'static str,
    wake: &Notify,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls).await?;
    // The connection is driven here (not spawned), so its notifications come to this loop.
    let statement = format!("LISTEN {channel}");
    let listen = client.batch_execute(&statement);
    tokio::pin!(listen);
    let mut listening = false;
    loop {
        tokio::select! {
            done = &mut listen, if !listening => {
                done?;
                listening = true;
                // Anything queued before the LISTEN took effect was not notified to us.
                wake.notify_one();
            }
            message = std::future::poll_fn(|cx| connection.poll_message(cx)) => match message {
                Some(Ok(AsyncMessage::Notification(_))) => wake.notify_one(),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
        }
    }
}
