//! The queue survey answers are written through: one task takes every answer waiting and
//! stores them in one transaction, so that at busy moments (a reminder just sent, a panel
//! wave opening) hundreds of respondents share one commit instead of queuing for one each.
//! A lone answer is written at once; nothing waits on a timer. Written by hand: it is a few
//! lines over tokio's channels, and no crate does this batching for a database port.

use std::sync::{Arc, OnceLock, Weak};

use tokio::sync::{mpsc, oneshot};

use kvalitet_app::Store;
use kvalitet_app::ports::{NewResponse, StoreError};

use crate::AppState;

/// The most answers stored in one transaction, and waiting in the queue.
const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;

type Job = (NewResponse, oneshot::Sender<Result<(), StoreError>>);

/// The sending end of the queue, made with the writer task on the first answer.
#[derive(Default)]
pub(crate) struct AnswerQueue {
    sender: OnceLock<mpsc::Sender<Job>>,
}

/// Stores one answer through the site's queue; its outcome as if stored alone.
pub(crate) async fn store_answer<S: Store>(
    state: &Arc<AppState<S>>,
    response: NewResponse,
) -> Result<(), StoreError> {
    let sender = state.answers.sender.get_or_init(|| {
        let (sender, receiver) = mpsc::channel(QUEUE);
        // The task holds the state weakly: when the site goes, the queue's sender goes with
        // it and the task ends.
        tokio::spawn(write_batches(Arc::downgrade(state), receiver));
        sender
    });
    let (done, outcome) = oneshot::channel();
    let gone = || StoreError::Database("the answer queue has stopped".into());
    sender.send((response, done)).await.map_err(|_| gone())?;
    outcome.await.map_err(|_| gone())?
}

async fn write_batches<S: Store>(state: Weak<AppState<S>>, mut receiver: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let Some(state) = state.upgrade() else { break };
        let (responses, waiting): (Vec<NewResponse>, Vec<_>) = jobs.drain(..).unzip();
        match state.store.submit_responses(&responses).await {
            Ok(outcomes) => {
                for (outcome, done) in outcomes.into_iter().zip(waiting) {
                    let _ = done.send(outcome);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, answers = responses.len(), "answers not stored");
                let said = e.to_string();
                for done in waiting {
                    let _ = done.send(Err(StoreError::Database(said.clone())));
                }
            }
        }
    }
}
