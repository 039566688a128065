//! Execution of one transaction against a block's write overlay.
//!
//! [`execute_tx`] runs the envelope rules every transaction obeys (size, chain id, expiry,
//! signature verdict, signer role, nonce), consumes the nonce, then dispatches the payload to its
//! module. A payload that fails leaves no trace except the consumed nonce (so a refused transaction
//! can never be replayed later, when it might succeed). Envelope failures consume nothing.
//!
//! The signer-role rule ([`crate::query::signer_may_submit`]) is an envelope rule: a signer with no
//! role in state (a key a Byzantine proposer included although admission refuses it) is refused
//! with `UnregisteredSigner` before any nonce record exists, so an anonymous key never creates
//! state. Its transaction may be included again until its expiry height, and then succeeds only if
//! the key has meanwhile been given a role — the key holder signed it, so that is its own intent.

mod admission;
mod catalogue;
mod did;
mod governance;
mod issuer;
mod licence;
mod network_key;
mod observer;
mod policy;
mod timestamp;
mod verifier;

use std::cell::RefCell;
use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::codec::encode;
use crate::context::BlockContext;
use crate::envelope::SignedTx;
use crate::error::TxError;
use crate::keys;
use crate::params::Parameters;
use crate::reader::{ReadError, StateReader, decode_record, read_record};
use crate::records::{ChainRecord, IssuerRecord};
use crate::tx::TxPayload;
use crate::types::{FieldError, ProvinceCode, PublicKeyBytes, TxHash};

pub(crate) use did::genesis_did_document;

/// Pending writes: `None` deletes.
pub type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A failure while applying: the transaction's fault, or a read fault that aborts the block.
#[derive(Debug)]
pub(crate) enum ApplyError {
    Tx(TxError),
    Read(ReadError),
}

impl From<TxError> for ApplyError {
    fn from(e: TxError) -> Self {
        ApplyError::Tx(e)
    }
}

impl From<ReadError> for ApplyError {
    fn from(e: ReadError) -> Self {
        ApplyError::Read(e)
    }
}

impl From<FieldError> for ApplyError {
    fn from(e: FieldError) -> Self {
        ApplyError::Tx(e.into())
    }
}

/// A reader plus the writes made so far in this block.
///
/// Reads of the base version are cached for the block: the base never changes while a block is
/// applied, and many transactions read the same records (parameters, an issuer, a type).
pub(crate) struct Overlay<'a> {
    base: &'a dyn StateReader,
    base_cache: RefCell<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    pub(crate) writes: Writes,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a dyn StateReader) -> Self {
        Self {
            base,
            base_cache: RefCell::new(BTreeMap::new()),
            writes: Writes::new(),
        }
    }

    pub(crate) fn put<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.writes.insert(key, Some(encode(value)));
    }
}

impl StateReader for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        if let Some(value) = self.writes.get(key) {
            return Ok(value.clone());
        }
        if let Some(value) = self.base_cache.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self.base.get(key)?;
        self.base_cache
            .borrow_mut()
            .insert(key.to_vec(), value.clone());
        Ok(value)
    }
}

/// What a payload handler sees: the block, the signer, and a private write set.
pub(crate) struct TxCx<'p> {
    parent: &'p dyn StateReader,
    writes: Writes,
    pub(crate) height: u64,
    pub(crate) block_time_ms: u64,
    pub(crate) signer: PublicKeyBytes,
    pub(crate) nonce: u64,
    pub(crate) tx_hash: TxHash,
}

impl TxCx<'_> {
    pub(crate) fn get<T: BorshSerialize + BorshDeserialize>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, ApplyError> {
        let raw = match self.writes.get(key) {
            Some(value) => value.clone(),
            None => self.parent.get(key)?,
        };
        match raw {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode_record(key, &bytes)?)),
        }
    }

    pub(crate) fn put<T: BorshSerialize>(&mut self, key: Vec<u8>, value: &T) {
        self.writes.insert(key, Some(encode(value)));
    }

    pub(crate) fn delete(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    /// The province whose current authority key signed, or `NotAuthority`.
    pub(crate) fn require_authority(&self) -> Result<ProvinceCode, ApplyError> {
        Ok(self.require_member_authority()?.province)
    }

    /// The signer's issuer record if it is active and accredited in its province's current
    /// admission, else `NotIssuer`/`IssuerSuspended`/`IssuerRevoked`/`ProvinceNotMember`/
    /// `PredatesAdmission`.
    pub(crate) fn require_active_issuer(&self) -> Result<IssuerRecord, ApplyError> {
        let record = self
            .get::<IssuerRecord>(&keys::issuer(&self.signer))?
            .ok_or(TxError::NotIssuer {
                signer: self.signer,
            })?;
        self.check_issuer(record)
    }

    pub(crate) fn parameters(&self) -> Result<Parameters, ApplyError> {
        Ok(self
            .get::<Parameters>(&keys::parameters())?
            .unwrap_or_default())
    }
}

/// Checks everything about `tx` that does not depend on its payload, consumes its nonce, and
/// runs the payload. `signature` is the `verify_strict` verdict already computed for `tx`.
///
/// Returns `Ok(Err(e))` for a refused transaction and `Err` only for a read fault.
pub(crate) fn execute_tx(
    overlay: &mut Overlay<'_>,
    block: &BlockContext,
    tx: &SignedTx,
    tx_len: usize,
    tx_hash: TxHash,
    signature: Result<(), TxError>,
) -> Result<Result<(), TxError>, ReadError> {
    match run(overlay, block, tx, tx_len, tx_hash, signature) {
        Ok(()) => Ok(Ok(())),
        Err(ApplyError::Tx(e)) => Ok(Err(e)),
        Err(ApplyError::Read(e)) => Err(e),
    }
}

fn run(
    overlay: &mut Overlay<'_>,
    block: &BlockContext,
    tx: &SignedTx,
    tx_len: usize,
    tx_hash: TxHash,
    signature: Result<(), TxError>,
) -> Result<(), ApplyError> {
    let body = &tx.body;
    let params: Parameters = read_record(overlay, &keys::parameters())?.unwrap_or_default();
    let limit = params.max_tx_bytes as usize;
    if tx_len > limit {
        return Err(TxError::TooLarge { len: tx_len, limit }.into());
    }
    if body.chain_id != block.chain_id {
        return Err(TxError::WrongChain {
            expected: block.chain_id.0.clone(),
            actual: body.chain_id.0.clone(),
        }
        .into());
    }
    if block.height > body.expiry_height {
        return Err(TxError::Expired {
            expiry_height: body.expiry_height,
            height: block.height,
        }
        .into());
    }
    signature?;
    if !crate::query::signer_may_submit(overlay, &body.signer, &body.payload)? {
        return Err(TxError::UnregisteredSigner {
            signer: body.signer,
        }
        .into());
    }
    let nonce_key = keys::nonce(&body.signer);
    let expected: u64 = read_record(overlay, &nonce_key)?.unwrap_or(0);
    if body.nonce != expected {
        return Err(TxError::BadNonce {
            expected,
            actual: body.nonce,
        }
        .into());
    }
    let next = expected.checked_add(1).ok_or(TxError::NonceExhausted)?;
    // From here on the nonce is spent, whatever the payload does.
    overlay.put(nonce_key, &next);

    body.payload.validate()?;
    let mut cx = TxCx {
        parent: overlay,
        writes: Writes::new(),
        height: block.height,
        block_time_ms: block.block_time_ms,
        signer: body.signer,
        nonce: body.nonce,
        tx_hash,
    };
    dispatch(&mut cx, &body.payload)?;
    let writes = cx.writes;
    overlay.writes.extend(writes);
    Ok(())
}

fn dispatch(cx: &mut TxCx<'_>, payload: &TxPayload) -> Result<(), ApplyError> {
    match payload {
        TxPayload::Propose(action) => governance::propose(cx, action),
        TxPayload::Vote {
            proposal_id,
            approve,
        } => governance::vote(cx, *proposal_id, *approve),
        TxPayload::AccreditIssuer(a) => issuer::accredit(cx, a),
        TxPayload::SuspendIssuer { issuer, reason } => issuer::suspend(cx, issuer, *reason),
        TxPayload::RevokeIssuer { issuer, reason } => issuer::revoke(cx, issuer, *reason),
        TxPayload::RegisterLicenceType(spec) => catalogue::register(cx, spec),
        TxPayload::UpdateLicenceType(spec) => catalogue::update(cx, spec),
        TxPayload::AnchorLicence(a) => licence::anchor(cx, a),
        TxPayload::AnchorBatch(b) => licence::anchor_batch(cx, b),
        TxPayload::SuspendLicence(c) => {
            licence::change_status(cx, &c.target, licence::StatusAction::Suspend, c.reason)
        }
        TxPayload::RevokeLicence(c) => {
            licence::change_status(cx, &c.target, licence::StatusAction::Revoke, c.reason)
        }
        TxPayload::ReinstateLicence(c) => {
            licence::change_status(cx, &c.target, licence::StatusAction::Reinstate, c.reason)
        }
        TxPayload::RenewLicence(r) => licence::change_status(
            cx,
            &r.target,
            licence::StatusAction::Renew {
                valid_from_ms: r.valid_from_ms,
                valid_until_ms: r.valid_until_ms,
            },
            r.reason,
        ),
        TxPayload::DeclareRecognition(d) => policy::declare(cx, d),
        TxPayload::WithdrawRecognition {
            licence_type,
            issuing_province,
        } => policy::withdraw(cx, licence_type, *issuing_province),
        TxPayload::DidCreate(c) => did::create(cx, c),
        TxPayload::DidAddVerificationMethod { did, method } => did::add_method(cx, did, method),
        TxPayload::DidRemoveVerificationMethod { did, fragment } => {
            did::remove_method(cx, did, fragment)
        }
        TxPayload::DidAddService { did, service } => did::add_service(cx, did, service),
        TxPayload::DidRemoveService { did, fragment } => did::remove_service(cx, did, fragment),
        TxPayload::DidRotateKey {
            did,
            fragment,
            new_key,
        } => did::rotate_key(cx, did, fragment, new_key),
        TxPayload::DidAddController { did, controller } => did::add_controller(cx, did, controller),
        TxPayload::DidRemoveController { did, controller } => {
            did::remove_controller(cx, did, controller)
        }
        TxPayload::DidDeactivate { did } => did::deactivate(cx, did),
        TxPayload::TimestampDocument { digest, acting_did } => {
            timestamp::timestamp(cx, digest, acting_did.as_ref())
        }
        TxPayload::RegisterVerifier { verifier } => verifier::register(cx, verifier),
        TxPayload::DeregisterVerifier { verifier } => verifier::deregister(cx, verifier),
        TxPayload::RegisterObserver { key } => observer::register(cx, key),
        TxPayload::RemoveObserver { key } => observer::remove(cx, key),
        TxPayload::BindNetworkKey {
            node_key,
            network_key,
            possession,
        } => network_key::bind(cx, node_key, network_key, possession),
    }
}

/// The chain record, for block-level checks.
pub(crate) fn read_chain(reader: &dyn StateReader) -> Result<Option<ChainRecord>, ReadError> {
    read_record(reader, &keys::chain())
}
