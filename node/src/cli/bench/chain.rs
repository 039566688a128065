//! A chain built in-process through the contracts' execution path (no network): a genesis with
//! validators whose keys this process holds, a licence type, an accredited issuer, and blocks of
//! anchoring transactions. Used by the `verify` and `scale` scenarios.

use anyhow::Context;
use ed25519_dalek::SigningKey;
use yrd_contracts::did_id::DidId;
use yrd_contracts::tree::TreeStore;
use yrd_contracts::tx::{AccreditIssuer, DidCreate, LicenceTypeSpec, SubjectKind, TxPayload};
use yrd_contracts::types::{DataClass, LicenceTypeCode};
use yrd_contracts::{
    BlockContext, BlockOutcome, ChainId, Genesis, GenesisAuthority, Parameters, ProvinceCode,
    SignedTx, State,
};
use yrd_node::chain_spec::ChainSpec;

use super::net::{Account, BENCH_TYPE, anchor, commitment};

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
                authority_key: authority_key(i).verifying_key().to_bytes(),
                validator_keys: vec![
                    SigningKey::from_bytes(&validator_seeds()[usize::from(i)])
                        .verifying_key()
                        .to_bytes(),
                ],
            })
            .collect(),
        parameters: Parameters::default(),
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
    pub issuer: Account,
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
            issuer: Account::from_seed(7, 0),
            anchored: 0,
            on_block,
        }
    }

    /// The block registering the type and accrediting the issuer.
    pub fn setup(&mut self) -> anyhow::Result<()> {
        let builder = self;
        let chain = builder.spec.genesis.chain_id.clone();
        let mut authority = Account {
            key: authority_key(0),
            nonce: 0,
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
                }),
            ),
            authority.sign(
                &chain,
                TxPayload::DidCreate(DidCreate {
                    subject: SubjectKind::Issuer,
                    controller_key: builder.issuer.key.verifying_key().to_bytes(),
                    services: Vec::new(),
                }),
            ),
            authority.sign(
                &chain,
                TxPayload::AccreditIssuer(AccreditIssuer {
                    issuer_key: builder.issuer.key.verifying_key().to_bytes(),
                    issuer_did: DidId::derive(&authority.key.verifying_key().to_bytes(), 1),
                    licence_types: vec![code],
                }),
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
        let ctx = self.next_context();
        let outcome = self
            .state
            .apply_block_batch_verified(&ctx, txs)
            .map_err(|e| anyhow::anyhow!("block {}: {e}", ctx.height))?;
        if let Some(hook) = &mut self.on_block {
            hook(&ctx, txs, &outcome)?;
        }
        Ok(outcome)
    }

    /// Signed anchorings of the next `count` licences, signed on `threads` threads.
    pub fn sign_anchors(&mut self, count: u64, threads: usize) -> Vec<SignedTx> {
        let chain = self.spec.genesis.chain_id.clone();
        let first = self.anchored;
        let nonce = self.issuer.nonce;
        let key = self.issuer.key.clone();
        let threads = threads.max(1) as u64;
        let per = count.div_ceil(threads);
        let mut txs: Vec<SignedTx> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let chain = chain.clone();
                    let key = key.clone();
                    scope.spawn(move || {
                        let start = t * per;
                        let end = ((t + 1) * per).min(count);
                        (start..end)
                            .map(|i| {
                                let mut account = Account {
                                    key: key.clone(),
                                    nonce: nonce + i,
                                };
                                account
                                    .sign(&chain, anchor(commitment(0, first + i), GENESIS_TIME_MS))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        txs.sort_by_key(|tx| tx.body.nonce);
        self.issuer.nonce += count;
        self.anchored += count;
        txs
    }

    /// Anchor `count` more licences in blocks of `per_block`.
    pub fn anchor_more(
        &mut self,
        count: u64,
        per_block: u64,
        threads: usize,
    ) -> anyhow::Result<()> {
        let mut left = count;
        while left > 0 {
            let n = left.min(per_block);
            let txs = self.sign_anchors(n, threads);
            let outcome = self.apply(&txs).context("anchoring")?;
            anyhow::ensure!(
                outcome.errors.is_empty(),
                "anchors refused: {:?}",
                outcome.errors.first()
            );
            left -= n;
        }
        Ok(())
    }
}
