//! A chain built in-process through the contracts' execution path (no network): a genesis with
//! validators whose keys this process holds, a licence type, an accredited issuer, and blocks of
//! anchoring transactions. Used by the `verify` and `scale` scenarios.

use std::collections::BTreeSet;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use yrd_contracts::did_id::DidId;
use yrd_contracts::tree::TreeStore;
use yrd_contracts::tx::{AccreditIssuer, DidCreate, LicenceTypeSpec, SubjectKind, TxPayload};
use yrd_contracts::types::TxHash;
use yrd_contracts::types::{DataClass, LicenceTypeCode};
use yrd_contracts::{
    BlockContext, BlockError, BlockOutcome, ChainId, Genesis, GenesisAuthority, Parameters,
    ProvinceCode, SignedTx, State,
};
use yrd_verifier::chain_spec::ChainSpec;

use yrd_testkit::{Signer, ledger_public, sign_tx};

use crate::net::{BENCH_EXPIRY_HEIGHT, BENCH_TYPE, anchor, commitment};

/// Block time of the genesis.
pub const GENESIS_TIME_MS: u64 = 1_750_000_000_000;

/// Secret seeds of the four validators.
pub fn validator_seeds() -> Vec<[u8; 32]> {
    (0u8..4).map(|i| [0x50 + i; 32]).collect()
}

fn authority_key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[0x40 + i; 32])
}

/// The genesis of the in-process chain.
pub fn genesis() -> Genesis {
    let provinces = [
        ProvinceCode::SHANGHAI,
        ProvinceCode::JIANGSU,
        ProvinceCode::ZHEJIANG,
        ProvinceCode::ANHUI,
    ];
    Genesis {
        chain_id: ChainId("yrd-bench".into()),
        genesis_time_ms: GENESIS_TIME_MS,
        authorities: provinces
            .iter()
            .zip(0u8..)
            .map(|(province, i)| GenesisAuthority {
                province: *province,
                authority_key: ledger_public(&authority_key(i)),
                validator_keys: vec![ledger_public(&SigningKey::from_bytes(
                    &validator_seeds()[usize::from(i)],
                ))],
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::current(),
        network_keys: Vec::new(),
    }
}

/// Called after each applied block (the `scale` scenario stores it as the node would).
pub type CommitHook =
    Box<dyn FnMut(&BlockContext, &[SignedTx], &BlockOutcome) -> anyhow::Result<()>>;

/// The chain being built.
pub struct Builder<S: TreeStore> {
    /// The chain spec.
    pub spec: ChainSpec,
    /// The state.
    pub state: State<S>,
    /// The issuer anchoring every licence.
    pub issuer: Signer,
    /// Licences anchored so far.
    pub anchored: u64,
    /// Runs after each block.
    pub on_block: Option<CommitHook>,
}

impl<S: TreeStore> Builder<S> {
    /// Genesis, then one block registering the type and accrediting the issuer.
    pub fn new(store: S) -> anyhow::Result<Self> {
        let genesis = genesis();
        let spec = ChainSpec::from_genesis(genesis.clone())?;
        let (state, _) =
            State::genesis(&genesis, store).map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
        let mut builder = Self::from_state(spec, state, None);
        builder.setup()?;
        Ok(builder)
    }

    /// Over a state already at its genesis.
    pub fn from_state(spec: ChainSpec, state: State<S>, on_block: Option<CommitHook>) -> Self {
        Self {
            spec,
            state,
            issuer: Signer::from_seed(7, 0),
            anchored: 0,
            on_block,
        }
    }

    /// The block registering the type and accrediting the issuer.
    pub fn setup(&mut self) -> anyhow::Result<()> {
        let builder = self;
        let chain = builder.spec.genesis.chain_id.clone();
        let mut authority = Signer {
            key: authority_key(0),
            next_nonce: 0,
        };
        let code = LicenceTypeCode(BENCH_TYPE.into());
        let txs = vec![
            authority.sign(
                &chain,
                TxPayload::RegisterLicenceType(LicenceTypeSpec {
                    code: code.clone(),
                    name: "benchmark licence".into(),
                    schema_digest: [7; 32],
                    data_class: DataClass::Unconditional,
                    on_issuer_revoked: Default::default(),
                }),
                BENCH_EXPIRY_HEIGHT,
            ),
            authority.sign(
                &chain,
                TxPayload::DidCreate(DidCreate {
                    subject: SubjectKind::Issuer,
                    controller_key: ledger_public(&builder.issuer.key),
                    services: Vec::new(),
                }),
                BENCH_EXPIRY_HEIGHT,
            ),
            authority.sign(
                &chain,
                TxPayload::AccreditIssuer(AccreditIssuer {
                    issuer_key: ledger_public(&builder.issuer.key),
                    issuer_did: DidId::derive(&ledger_public(&authority.key), 1),
                    uscc: crate::net::issuer_uscc(0),
                    licence_types: vec![code],
                }),
                BENCH_EXPIRY_HEIGHT,
            ),
        ];
        let outcome = builder.apply(&txs)?;
        anyhow::ensure!(
            outcome.errors.is_empty(),
            "set-up refused: {:?}",
            outcome.errors
        );
        Ok(())
    }

    /// The next block's context.
    pub fn next_context(&self) -> BlockContext {
        let height = self.state.version() + 1;
        BlockContext {
            height,
            block_time_ms: GENESIS_TIME_MS + height * 1_000,
            chain_id: self.spec.genesis.chain_id.clone(),
            epoch: 0,
        }
    }

    /// Apply `txs` as the next block (signatures batch-verified, as the node does for
    /// transactions it did not admit itself).
    pub fn apply(&mut self, txs: &[SignedTx]) -> anyhow::Result<BlockOutcome> {
        self.apply_using(txs, |state, ctx| state.apply_block_batch_verified(ctx, txs))
    }

    /// Apply `txs` as the next block, trusting the signatures of `verified` (checked on entry,
    /// as the node trusts what its own admission checked).
    pub fn apply_preverified(
        &mut self,
        txs: &[SignedTx],
        verified: &BTreeSet<TxHash>,
    ) -> anyhow::Result<BlockOutcome> {
        self.apply_using(txs, |state, ctx| {
            state.apply_block_preverified(ctx, txs, verified)
        })
    }

    /// Run `execute` as the next block, then the commit hook.
    fn apply_using(
        &mut self,
        txs: &[SignedTx],
        execute: impl FnOnce(&mut State<S>, &BlockContext) -> Result<BlockOutcome, BlockError>,
    ) -> anyhow::Result<BlockOutcome> {
        let ctx = self.next_context();
        let outcome = execute(&mut self.state, &ctx)
            .map_err(|e| anyhow::anyhow!("block {}: {e}", ctx.height))?;
        if let Some(hook) = &mut self.on_block {
            hook(&ctx, txs, &outcome)?;
        }
        Ok(outcome)
    }

    /// Anchor `count` more licences in blocks of `per_block`, pipelined as on a node: while one
    /// block executes and commits on this thread, the next block's transactions are signed and
    /// then admitted (each signature checked, as `tx_submit` does) on `threads` other threads.
    pub fn anchor_more(
        &mut self,
        count: u64,
        per_block: u64,
        threads: usize,
    ) -> anyhow::Result<()> {
        let per_block = per_block.max(1);
        let job = SignJob {
            chain: self.spec.genesis.chain_id.clone(),
            key: self.issuer.key.clone(),
            first_nonce: self.issuer.next_nonce,
            first_licence: self.anchored,
            threads: threads.max(1) as u64,
        };
        let first_licence = job.first_licence;
        let result = std::thread::scope(|scope| -> anyhow::Result<()> {
            // One block ahead at most: the pipeline holds two blocks in memory.
            let (sender, receiver) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                let mut offset = 0;
                while offset < count {
                    let n = per_block.min(count - offset);
                    if sender.send(job.sign_and_admit(offset, n)).is_err() {
                        return;
                    }
                    offset += n;
                }
            });
            for (txs, verified) in receiver {
                let outcome = self
                    .apply_preverified(&txs, &verified)
                    .context("anchoring")?;
                anyhow::ensure!(
                    outcome.errors.is_empty(),
                    "anchors refused: {:?}",
                    outcome.errors.first()
                );
                self.issuer.next_nonce += txs.len() as u64;
                self.anchored += txs.len() as u64;
            }
            Ok(())
        });
        result?;
        anyhow::ensure!(
            self.anchored == first_licence + count,
            "the signing threads stopped early: {} of {count} anchored",
            self.anchored - first_licence
        );
        Ok(())
    }
}

/// Signing and admitting a run of anchorings by the bench issuer.
struct SignJob {
    chain: ChainId,
    key: SigningKey,
    first_nonce: u64,
    first_licence: u64,
    threads: u64,
}

impl SignJob {
    /// Anchorings `offset .. offset + count` of the run, signed and signature-checked on
    /// `threads` threads; the hashes of those whose signature checked out.
    fn sign_and_admit(&self, offset: u64, count: u64) -> (Vec<SignedTx>, BTreeSet<TxHash>) {
        let per = count.div_ceil(self.threads);
        let parts: Vec<Vec<(SignedTx, Option<TxHash>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.threads)
                .map(|t| {
                    scope.spawn(move || {
                        let start = offset + t * per;
                        let end = (offset + (t + 1) * per).min(offset + count);
                        (start..end)
                            .map(|i| {
                                let tx = sign_tx(
                                    &self.chain,
                                    &self.key,
                                    self.first_nonce + i,
                                    anchor(commitment(0, self.first_licence + i), GENESIS_TIME_MS),
                                    BENCH_EXPIRY_HEIGHT,
                                );
                                let admitted = tx.verify_signature().is_ok().then(|| tx.hash());
                                (tx, admitted)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut txs = Vec::with_capacity(count as usize);
        let mut verified = BTreeSet::new();
        for (tx, admitted) in parts.into_iter().flatten() {
            verified.extend(admitted);
            txs.push(tx);
        }
        (txs, verified)
    }
}
