//! The id of the proposal a committed `yrd tx propose-*` opened.
//!
//! A receipt carries no result, so the id is read back from state: the newest proposals
//! (`keys::proposal`, below `keys::next_proposal_id`) are read through `state_getProof` until the
//! one created at the transaction's height with the same action is found. The answers come from
//! the node given with `--rpc` and are not checked against a genesis file here (`yrd verify` does
//! that for any answer); the id is a convenience for the `yrd tx vote --proposal` that follows.

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use yrd_contracts::codec::decode_canonical;
use yrd_contracts::keys;
use yrd_contracts::records::ProposalRecord;
use yrd_contracts::tx::GovernanceAction;

/// How many of the newest proposals are searched.
const SEARCH_NEWEST: u64 = 64;

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    /// Exactly one proposal matches.
    One(u64),
    /// No proposal created at that height with that action among the newest ones.
    None,
    /// Several match (identical proposals in one block): their ids.
    Several(Vec<u64>),
}

/// The proposal created at `height` with `action` among the newest [`SEARCH_NEWEST`].
pub(super) async fn opened_proposal(
    client: &HttpClient,
    height: u64,
    action: &GovernanceAction,
) -> anyhow::Result<Found> {
    let Some(next) = read::<u64>(client, &keys::next_proposal_id()).await? else {
        return Ok(Found::None);
    };
    let mut matches = Vec::new();
    for id in (next.saturating_sub(SEARCH_NEWEST)..next).rev() {
        let Some(record) = read::<ProposalRecord>(client, &keys::proposal(id)).await? else {
            continue;
        };
        if record.created_height < height {
            break;
        }
        if record.created_height == height && &record.action == action {
            matches.push(id);
        }
    }
    Ok(match matches.as_slice() {
        [] => Found::None,
        [id] => Found::One(*id),
        _ => Found::Several(matches),
    })
}

/// The record under `key` at the node's latest proven state, `None` if absent.
async fn read<T: borsh::BorshSerialize + borsh::BorshDeserialize>(
    client: &HttpClient,
    key: &[u8],
) -> anyhow::Result<Option<T>> {
    let answer: serde_json::Value = client
        .request("state_getProof", rpc_params![hex::encode(key)])
        .await?;
    let Some(value) = answer.get("value").and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    let bytes = hex::decode(value)?;
    Ok(Some(decode_canonical(&bytes)?))
}
