//! Transactions travel between members in batches: one gossip message carries every transaction
//! a node admitted from its clients within a short window ([`TxGossip`]), instead of one message
//! per transaction. Gossip's per-message costs (message id, duplicate cache, per-peer queues,
//! framing, the verdict round trip between host and network task, the per-peer message rate
//! limit) are then paid once per batch. See docs/adr/018-transaction-batches-on-gossip.md.
//!
//! # Wire format (topic `/yrd/transactions/2`)
//!
//! A message is the canonical borsh encoding of [`TxBatch`]: a `u32` little-endian count, then
//! each transaction's canonical encoding as a `u32` little-endian length and its bytes. It is
//! refused whole (and its relay scored down) when it does not decode canonically, is empty, or
//! holds more than [`MAX_BATCH_TXS`] transactions; the network layer has already refused it if
//! it is longer than `max_gossip_bytes`. Each transaction in it then goes through admission like
//! one from a client ([`super::ingress`]).

use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use tokio::sync::mpsc;
use yrd_contracts::codec::{CodecError, decode_canonical, encode};

use super::port::HostNetwork;

/// Most transactions in one gossip message.
pub const MAX_BATCH_TXS: usize = 4_096;
/// Bytes of a batch's framing: the count, and per transaction its length.
const COUNT_BYTES: usize = 4;
const LENGTH_BYTES: usize = 4;
/// Most transactions waiting for the publisher; beyond it a transaction is admitted but not
/// gossiped (it still reaches the chain in this node's own proposals) and counted.
pub const PUBLISH_QUEUE_TXS: usize = 16_384;

/// One gossip message: canonical transaction encodings.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxBatch(pub Vec<Vec<u8>>);

/// Why a gossiped batch was refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Not a canonical encoding.
    #[error("malformed transaction batch: {0}")]
    Codec(#[from] CodecError),
    /// No transaction in it.
    #[error("empty transaction batch")]
    Empty,
    /// Over [`MAX_BATCH_TXS`].
    #[error("transaction batch of {count} transactions (at most {MAX_BATCH_TXS})")]
    TooMany {
        /// Transactions in it.
        count: usize,
    },
}

impl TxBatch {
    /// The message bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a gossip message.
    pub fn decode(bytes: &[u8]) -> Result<Self, BatchError> {
        let batch: Self = decode_canonical(bytes)?;
        match batch.0.len() {
            0 => Err(BatchError::Empty),
            count if count > MAX_BATCH_TXS => Err(BatchError::TooMany { count }),
            _ => Ok(batch),
        }
    }

    /// The encoded size of a batch holding transactions of these sizes.
    pub fn encoded_len(tx_lens: impl IntoIterator<Item = usize>) -> usize {
        COUNT_BYTES
            + tx_lens
                .into_iter()
                .map(|len| LENGTH_BYTES + len)
                .sum::<usize>()
    }
}

/// When the publisher sends a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Longest a transaction waits for others before its batch goes out.
    pub delay: Duration,
    /// Largest message (the network's `max_gossip_bytes`).
    pub max_bytes: usize,
}

/// The publishing side: transactions this node admitted from its clients, gossiped in batches by
/// a task ([`TxGossip::spawn`]).
#[derive(Debug, Clone)]
pub struct TxGossip {
    queue: mpsc::Sender<Vec<u8>>,
}

/// What became of a transaction handed to [`TxGossip::queue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// It goes out with the next batch.
    Queued,
    /// The publisher's queue is full (or the publisher stopped): not gossiped.
    Dropped,
}

impl TxGossip {
    /// Starts the publisher on the current tokio runtime.
    pub fn spawn<N: HostNetwork>(network: N, limits: BatchLimits) -> Self {
        let (queue, pending) = mpsc::channel(PUBLISH_QUEUE_TXS);
        tokio::spawn(publish_batches(pending, network, limits));
        Self { queue }
    }

    /// Hands an admitted transaction to the publisher; never waits.
    pub fn queue(&self, tx_bytes: Vec<u8>) -> Queued {
        match self.queue.try_send(tx_bytes) {
            Ok(()) => Queued::Queued,
            Err(_) => Queued::Dropped,
        }
    }
}

/// Collects transactions into batches and publishes each: a batch goes out when the next
/// transaction would not fit in `max_bytes`, when it holds [`MAX_BATCH_TXS`], or `delay` after
/// its first transaction arrived. A transaction too large to fit any batch is not gossiped.
async fn publish_batches<N: HostNetwork>(
    mut pending: mpsc::Receiver<Vec<u8>>,
    network: N,
    limits: BatchLimits,
) {
    let mut carried: Option<Vec<u8>> = None;
    loop {
        let first = match carried.take() {
            Some(first) => first,
            None => match pending.recv().await {
                Some(first) => first,
                None => return,
            },
        };
        let mut size = TxBatch::encoded_len([first.len()]);
        if size > limits.max_bytes {
            tracing::debug!(
                tx_bytes = first.len(),
                max_gossip_bytes = limits.max_bytes,
                "transaction too large to gossip; it reaches the chain in this node's proposals"
            );
            continue;
        }
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + limits.delay;
        while batch.len() < MAX_BATCH_TXS {
            // A transaction already waiting is taken at once (the timeout polls `recv` first).
            let next = match tokio::time::timeout_at(deadline, pending.recv()).await {
                Ok(Some(next)) => next,
                Ok(None) | Err(_) => break,
            };
            let grown = size + LENGTH_BYTES + next.len();
            if grown > limits.max_bytes {
                carried = Some(next);
                break;
            }
            size = grown;
            batch.push(next);
        }
        let count = batch.len();
        let bytes = TxBatch(batch).encode();
        if let Err(error) = network.publish_transaction(bytes).await {
            tracing::debug!(%error, txs = count, "gossiping a transaction batch failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::network::{Channel, GossipTicket, GossipVerdict, NetworkError};

    #[test]
    fn a_batch_round_trips_and_its_size_is_predicted() {
        let batch = TxBatch(vec![vec![1; 10], vec![2; 300], vec![]]);
        let bytes = batch.encode();
        assert_eq!(bytes.len(), TxBatch::encoded_len([10, 300, 0]));
        assert_eq!(TxBatch::decode(&bytes), Ok(batch));
    }

    #[test]
    fn malformed_empty_and_overfull_batches_are_refused() {
        let bytes = TxBatch(vec![vec![7; 4]]).encode();
        // Trailing bytes, a truncated body, a length pointing past the end.
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            TxBatch::decode(&trailing),
            Err(BatchError::Codec(CodecError::TrailingBytes { .. }))
        ));
        assert!(matches!(
            TxBatch::decode(&bytes[..bytes.len() - 1]),
            Err(BatchError::Codec(_))
        ));
        let mut lying = bytes.clone();
        lying[4] = 200;
        assert!(TxBatch::decode(&lying).is_err());
        // A count far beyond the bytes present allocates nothing and is refused.
        assert!(TxBatch::decode(&u32::MAX.to_le_bytes()).is_err());
        assert_eq!(
            TxBatch::decode(&TxBatch(Vec::new()).encode()),
            Err(BatchError::Empty)
        );
        let full = TxBatch(vec![Vec::new(); MAX_BATCH_TXS]).encode();
        assert!(TxBatch::decode(&full).is_ok());
        let over = TxBatch(vec![Vec::new(); MAX_BATCH_TXS + 1]).encode();
        assert_eq!(
            TxBatch::decode(&over),
            Err(BatchError::TooMany {
                count: MAX_BATCH_TXS + 1
            })
        );
    }

    /// Records what is published.
    #[derive(Clone, Default)]
    struct Recorder {
        published: Arc<Mutex<Vec<Vec<u8>>>>,
    }

    impl HostNetwork for Recorder {
        async fn send(&self, _: [u8; 32], _: Channel, _: Vec<u8>) -> Result<(), NetworkError> {
            Ok(())
        }
        async fn request(&self, _: [u8; 32], _: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
            Err(NetworkError::ShutDown)
        }
        async fn publish_transaction(&self, bytes: Vec<u8>) -> Result<(), NetworkError> {
            if let Ok(mut published) = self.published.lock() {
                published.push(bytes);
            }
            Ok(())
        }
        async fn gossip_verdict(
            &self,
            _: GossipTicket,
            _: GossipVerdict,
        ) -> Result<(), NetworkError> {
            Ok(())
        }
        async fn report_invalid(&self, _: [u8; 32], _: &str) -> Result<(), NetworkError> {
            Ok(())
        }
        async fn set_members(
            &self,
            _: BTreeSet<[u8; 32]>,
            _: std::collections::BTreeMap<[u8; 32], [u8; 32]>,
        ) -> Result<(), NetworkError> {
            Ok(())
        }
    }

    fn batches(recorder: &Recorder) -> Vec<TxBatch> {
        recorder
            .published
            .lock()
            .map(|published| {
                published
                    .iter()
                    .map(|bytes| TxBatch::decode(bytes).expect("a valid batch"))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test(start_paused = true)]
    async fn transactions_of_one_window_go_out_as_one_batch_and_the_size_limit_splits_them() {
        let recorder = Recorder::default();
        let gossip = TxGossip::spawn(
            recorder.clone(),
            BatchLimits {
                delay: Duration::from_millis(20),
                max_bytes: TxBatch::encoded_len([100; 3]),
            },
        );
        for i in 0..5u8 {
            assert_eq!(gossip.queue(vec![i; 100]), Queued::Queued);
        }
        // Three fit in a message; the fourth starts the next batch, which waits for the window.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let sent = batches(&recorder);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].0, vec![vec![0; 100], vec![1; 100], vec![2; 100]]);
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sent = batches(&recorder);
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[1].0, vec![vec![3; 100], vec![4; 100]]);

        // A transaction no batch can hold is not gossiped; the next one is.
        assert_eq!(gossip.queue(vec![9; 400]), Queued::Queued);
        assert_eq!(gossip.queue(vec![8; 10]), Queued::Queued);
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sent = batches(&recorder);
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[2].0, vec![vec![8; 10]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_transaction_waits_no_longer_than_the_window() {
        let recorder = Recorder::default();
        let gossip = TxGossip::spawn(
            recorder.clone(),
            BatchLimits {
                delay: Duration::from_millis(20),
                max_bytes: 64 * 1024,
            },
        );
        gossip.queue(vec![1; 50]);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(batches(&recorder).is_empty());
        tokio::time::sleep(Duration::from_millis(15)).await;
        assert_eq!(batches(&recorder).len(), 1);
    }
}
