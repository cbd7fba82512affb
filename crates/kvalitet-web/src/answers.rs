//! The queues that survey answers and citizen-budget ballots are written through: a task per
//! kind (ballots on PostgreSQL: a few) takes every item waiting and stores them in one
//! transaction, so that at busy moments
//! (a reminder just sent, a panel wave or a vote opening) hundreds of residents share one
//! commit instead of queuing for one each. A lone item is written at once; nothing waits on a
//! timer. Written by hand: it is a few lines over tokio's channels, and no crate does this
//! batching for a database port.

use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};

use tokio::sync::{mpsc, oneshot};

use kvalitet_app::Store;
use kvalitet_app::ports::{NewBudgetBallot, NewResponse, StoreError};

use crate::AppState;

/// The most items stored in one transaction, and waiting in a queue.
const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

type Job<T> = (T, oneshot::Sender<Result<(), StoreError>>);

/// The sending end of a queue, made with its writer task on the first item.
pub(crate) struct WriteQueue<T> {
    sender: OnceLock<mpsc::Sender<Job<T>>>,
}

impl<T> Default for WriteQueue<T> {
    fn default() -> Self {
        Self {
            sender: OnceLock::new(),
        }
    }
}

/// What goes through a queue: where the site keeps its queue, and how a batch is stored
/// (one transaction, an outcome per item).
pub(crate) trait Queued<S: Store>: Sized + Send + 'static {
    /// Batches written at once on PostgreSQL, whose commits wait for the disk: while one
    /// waits another can be written, and the server's group commit flushes them together.
    /// One on SQLite (one writer at a time), and one for anything two batches could both
    /// try to write (the second would fail whole on the first's unique key).
    const WRITERS_ON_POSTGRES: usize = 1;

    fn queue(state: &AppState<S>) -> &WriteQueue<Self>;
    fn write(
        store: &S,
        batch: &[Self],
    ) -> impl Future<Output = Result<Vec<Result<(), StoreError>>, StoreError>> + Send;
}

impl<S: Store> Queued<S> for NewResponse {
    fn queue(state: &AppState<S>) -> &WriteQueue<Self> {
        &state.answers
    }

    fn write(
        store: &S,
        batch: &[Self],
    ) -> impl Future<Output = Result<Vec<Result<(), StoreError>>, StoreError>> + Send {
        store.submit_responses(batch)
    }
}

impl<S: Store> Queued<S> for NewBudgetBallot {
    // A code is used up by an update that only an unused code passes: of two batches racing
    // for one code, the second waits for the first's row and then finds it used.
    const WRITERS_ON_POSTGRES: usize = 8;

    fn queue(state: &AppState<S>) -> &WriteQueue<Self> {
        &state.ballots
    }

    fn write(
        store: &S,
        batch: &[Self],
    ) -> impl Future<Output = Result<Vec<Result<(), StoreError>>, StoreError>> + Send {
        store.cast_budget_ballots(batch)
    }
}

/// Stores one item through the site's queue for its kind; its outcome as if stored alone.
pub(crate) async fn store<S: Store, T: Queued<S>>(
    state: &Arc<AppState<S>>,
    item: T,
) -> Result<(), StoreError> {
    let sender = T::queue(state).sender.get_or_init(|| {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let writers = if state.backend == "postgres" {
            T::WRITERS_ON_POSTGRES
        } else {
            1
        };
        // The tasks hold the state weakly: when the site goes, the queue's sender goes with
        // it and the tasks end.
        for _ in 0..writers {
            tokio::spawn(write_batches::<S, T>(
                Arc::downgrade(state),
                receiver.clone(),
            ));
        }
        sender
    });
    let (done, outcome) = oneshot::channel();
    let gone = || StoreError::Database("the write queue has stopped".into());
    sender.send((item, done)).await.map_err(|_| gone())?;
    outcome.await.map_err(|_| gone())?
}

async fn write_batches<S: Store, T: Queued<S>>(
    state: Weak<AppState<S>>,
    receiver: Arc<tokio::sync::Mutex<mpsc::Receiver<Job<T>>>>,
) {
    let mut jobs: Vec<Job<T>> = Vec::with_capacity(MAX_BATCH);
    // A writer holds the receiver only while it takes a batch, not while it writes one.
    while receiver.lock().await.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let Some(state) = state.upgrade() else { break };
        let (items, waiting): (Vec<T>, Vec<_>) = jobs.drain(..).unzip();
        match T::write(&state.store, &items).await {
            Ok(outcomes) => {
                for (outcome, done) in outcomes.into_iter().zip(waiting) {
                    let _ = done.send(outcome);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, items = items.len(), "batch not stored");
                let said = e.to_string();
                for done in waiting {
                    let _ = done.send(Err(StoreError::Database(said.clone())));
                }
            }
        }
    }
}
