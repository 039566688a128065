//! Building a verifiable answer on the node: evaluate the query over a recording reader at the
//! anchored version and wrap the value with the evidence.

use yrd_contracts::ReadError;
use yrd_contracts::reader::RecordingReader;
use yrd_contracts::tree::StateProof;
use yrd_contracts::tree::StateRoot;
use yrd_verifier::query::{EvalError, Evaluation, ProvenQuery, envelope_value, evaluate};
use yrd_verifier::{ANSWER_FORMAT, HexBytes, MAX_PROOF_READS, ProofEntry, ProvenAnswer, ReadProof};

use crate::rpc::backend::{ProofAnchor, RpcBackend};
use crate::rpc::error::{InternalError, RpcError};

/// Reads of one state version with their proofs.
pub type Prover<'a> = dyn Fn(&[u8]) -> Result<(Option<Vec<u8>>, StateProof), ReadError> + 'a;

/// Evaluate `query` at the latest attested state of `backend` and return the evaluation with
/// its envelope. Every collected proof is checked against the attested root before it leaves,
/// so a node whose state diverged from what the validators certified refuses instead of serving
/// evidence that cannot verify.
pub fn prove(
    backend: &dyn RpcBackend,
    query: ProvenQuery,
) -> Result<(Evaluation, ProvenAnswer), RpcError> {
    let anchor = backend.proof_anchor()?;
    let prover = backend.prover_at(anchor.header.executed.height)?;
    prove_with(&anchor, &*prover, query)
}

/// [`prove`] over an explicit anchor and a prover of the state version its header attests.
pub fn prove_with(
    anchor: &ProofAnchor,
    prover: &Prover<'_>,
    query: ProvenQuery,
) -> Result<(Evaluation, ProvenAnswer), RpcError> {
    let version = anchor.header.executed.height;
    let root = StateRoot(anchor.header.executed.state_root);
    let recorder = RecordingReader::new(|key: &[u8]| prover(key));
    let evaluation = evaluate(&query, &recorder).map_err(|error| match error {
        EvalError::Query(e) => RpcError::from(e),
        EvalError::KeyTooLong { .. } => RpcError::param("key", error.to_string()),
        EvalError::HistoryTooLong { .. } => RpcError::ProofUnavailable(error.to_string()),
        EvalError::Json(_) => RpcError::Internal(InternalError::Eval(error)),
    })?;
    let reads = recorder.into_reads();
    if reads.len() > MAX_PROOF_READS {
        return Err(RpcError::ProofUnavailable(format!(
            "the answer reads {} state keys; a proof covers at most {MAX_PROOF_READS}",
            reads.len()
        )));
    }
    let mut entries = Vec::with_capacity(reads.len());
    for (key, value, proof) in reads {
        proof.verify(&root, &key, value.as_deref()).map_err(|source| {
            tracing::error!(version, key = %hex::encode(&key), error = %source, "own state does not match the attested root");
            RpcError::Internal(InternalError::StateMismatch { version, source })
        })?;
        entries.push(ProofEntry {
            key: HexBytes(key),
            value: value.map(HexBytes),
            proof,
        });
    }
    let answer = ProvenAnswer {
        format: ANSWER_FORMAT.to_owned(),
        value: envelope_value(&evaluation),
        query,
        proof: ReadProof {
            version,
            state_root: root.0,
            reads: entries,
            header: HexBytes(yrd_consensus::codec::encode(&anchor.header)),
            certificate: anchor
                .certificate
                .as_ref()
                .map(|c| HexBytes(yrd_consensus::codec::encode(c))),
            epoch_changes: anchor
                .epoch_changes
                .iter()
                .map(|c| HexBytes(yrd_consensus::codec::encode(c)))
                .collect(),
        },
    };
    Ok((evaluation, answer))
}
