//! A small in-memory chain for tests: the four-province genesis with fixed keys, helpers that
//! sign with the signer's next nonce, and one-block-per-call application.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query;
use yrd_contracts::records::{IssuerRevocationRule, LicenceStatus};
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::tx::{
    AccreditIssuer, AnchorLicence, DidCreate, LicenceStatusChange, LicenceTarget, LicenceTypeSpec,
    StatusReason, SubjectKind,
};
use yrd_contracts::{
    BlockContext, BlockOutcome, ChainId, DataClass, DidId, Genesis, GenesisAuthority,
    LicenceTypeCode, Parameters, ProvinceCode, SignedTx, State, TxBody, TxError, TxPayload,
};

pub const CHAIN: &str = "yrd-test-1";
pub const GENESIS_TIME_MS: u64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
pub const BLOCK_INTERVAL_MS: u64 = 2_000;
pub const DAY_MS: u64 = 86_400_000;

/// A deterministic key from a seed byte.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The public key of `k`'s secret on the process's suite (the ed25519 key itself, or the SM2 key
/// of the same secret in a test binary that installs `sm2-sm3`).
pub fn pk(k: &SigningKey) -> [u8; 32] {
    yrd_consensus::Signer::public_key(&signer(k)).0
}

/// The signer of `k`'s secret on the process's suite.
pub fn signer(k: &SigningKey) -> yrd_consensus::SuiteSigner {
    yrd_consensus::SuiteSigner::from_secret_bytes(&k.to_bytes()).unwrap()
}

/// A valid GB 32100 code for a test issuer: division of `province`, the rest from its key.
pub fn uscc_for(province: ProvinceCode, issuer: &[u8; 32]) -> Uscc {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut first_17 = format!("91{:02}0000", province.0 / 10_000);
    for byte in &issuer[..9] {
        first_17.push(char::from(ALPHABET[usize::from(*byte) % 31]));
    }
    Uscc::with_check_character(&first_17).unwrap()
}

/// The USCC a test issuer is accredited under by [`Chain::accredit`] in `province`.
pub fn issuer_uscc(province: ProvinceCode, issuer: &SigningKey) -> Uscc {
    uscc_for(province, &pk(issuer))
}

/// Authority key seeds: Shanghai 1, Jiangsu 2, Zhejiang 3, Anhui 4. Validators 11..=14.
pub fn authority(province: ProvinceCode) -> SigningKey {
    match province {
        ProvinceCode::SHANGHAI => key(1),
        ProvinceCode::JIANGSU => key(2),
        ProvinceCode::ZHEJIANG => key(3),
        _ => key(4),
    }
}

pub const PROVINCES: [ProvinceCode; 4] = [
    ProvinceCode::SHANGHAI,
    ProvinceCode::JIANGSU,
    ProvinceCode::ZHEJIANG,
    ProvinceCode::ANHUI,
];

pub fn genesis() -> Genesis {
    Genesis {
        chain_id: ChainId(CHAIN.into()),
        genesis_time_ms: GENESIS_TIME_MS,
        authorities: PROVINCES
            .iter()
            .enumerate()
            .map(|(i, p)| GenesisAuthority {
                province: *p,
                authority_key: pk(&authority(*p)),
                validator_keys: vec![pk(&key(11 + i as u8))],
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::default(),
        network_keys: Vec::new(),
    }
}

pub struct Chain {
    pub state: State<MemoryTreeStore>,
    pub time_ms: u64,
    pub expiry_window: u64,
}

impl Chain {
    pub fn new() -> Self {
        Self::from_genesis(&genesis())
    }

    pub fn from_genesis(genesis: &Genesis) -> Self {
        let (state, _root) = State::genesis(genesis, MemoryTreeStore::new()).unwrap();
        Self {
            state,
            time_ms: genesis.genesis_time_ms,
            expiry_window: 100,
        }
    }

    pub fn next_height(&self) -> u64 {
        self.state.version() + 1
    }

    pub fn nonce_of(&self, k: &SigningKey) -> u64 {
        query::next_nonce(&self.state.snapshot(), &pk(k)).unwrap()
    }

    pub fn body(&self, k: &SigningKey, nonce: u64, payload: TxPayload) -> TxBody {
        TxBody {
            chain_id: ChainId(CHAIN.into()),
            signer: pk(k),
            nonce,
            expiry_height: self.next_height() + self.expiry_window,
            payload,
        }
    }

    /// A transaction signed with the signer's next nonce at the current state.
    pub fn tx(&self, k: &SigningKey, payload: TxPayload) -> SignedTx {
        self.body(k, self.nonce_of(k), payload)
            .sign_with(&signer(k))
    }

    /// Several transactions by one signer with consecutive nonces.
    pub fn txs(&self, k: &SigningKey, payloads: Vec<TxPayload>) -> Vec<SignedTx> {
        let first = self.nonce_of(k);
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, p)| self.body(k, first + i as u64, p).sign_with(&signer(k)))
            .collect()
    }

    pub fn context(&self) -> BlockContext {
        BlockContext {
            height: self.next_height(),
            block_time_ms: self.time_ms + BLOCK_INTERVAL_MS,
            chain_id: ChainId(CHAIN.into()),
            epoch: 0,
        }
    }

    pub fn apply(&mut self, txs: &[SignedTx]) -> BlockOutcome {
        let ctx = self.context();
        let outcome = self.state.apply_block(&ctx, txs).unwrap();
        self.time_ms = ctx.block_time_ms;
        assert_eq!(outcome.receipts.len(), txs.len());
        outcome
    }

    /// Applies one transaction in its own block and returns its verdict.
    pub fn submit(&mut self, tx: SignedTx) -> Result<(), TxError> {
        let outcome = self.apply(&[tx]);
        match outcome.errors.into_iter().next() {
            None => {
                assert_eq!(outcome.receipts[0].code, 0);
                Ok(())
            }
            Some((_, e)) => {
                assert_eq!(outcome.receipts[0].code, e.code());
                Err(e)
            }
        }
    }

    /// Signs with the next nonce and submits.
    pub fn run(&mut self, k: &SigningKey, payload: TxPayload) -> Result<(), TxError> {
        let tx = self.tx(k, payload);
        self.submit(tx)
    }

    /// Advances time by empty blocks.
    pub fn advance_days(&mut self, days: u64) {
        self.time_ms += days * DAY_MS;
        self.apply(&[]);
    }

    /// Registers a licence type as Shanghai.
    pub fn register_type(&mut self, code: &str, class: DataClass) -> LicenceTypeCode {
        let code = LicenceTypeCode(code.into());
        self.run(
            &authority(ProvinceCode::SHANGHAI),
            TxPayload::RegisterLicenceType(type_spec(&code, class)),
        )
        .unwrap();
        code
    }

    /// The authority of `province` creates a DID controlled by `controller`; returns the DID.
    pub fn create_did(
        &mut self,
        province: ProvinceCode,
        controller: &SigningKey,
        subject: SubjectKind,
    ) -> DidId {
        let creator = authority(province);
        let did = DidId::derive(&pk(&creator), self.nonce_of(&creator));
        self.run(
            &creator,
            TxPayload::DidCreate(DidCreate {
                subject,
                controller_key: pk(controller),
                services: vec![],
            }),
        )
        .unwrap();
        did
    }

    /// Creates the issuer's DID and accredits it in `province` for `types`.
    pub fn accredit(
        &mut self,
        province: ProvinceCode,
        issuer: &SigningKey,
        types: &[LicenceTypeCode],
    ) -> DidId {
        let did = self.create_did(province, issuer, SubjectKind::Issuer);
        let mut licence_types = types.to_vec();
        licence_types.sort();
        self.run(
            &authority(province),
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: pk(issuer),
                issuer_did: did,
                uscc: issuer_uscc(province, issuer),
                licence_types,
            }),
        )
        .unwrap();
        did
    }

    /// The id the next governance proposal gets.
    pub fn next_proposal_id(&self) -> u64 {
        (0..)
            .find(|id| {
                query::proposal_get(&self.state.snapshot(), *id)
                    .unwrap()
                    .is_none()
            })
            .unwrap()
    }

    pub fn licence_status(&self, issuer: &Uscc, commitment: &[u8; 32]) -> Option<LicenceStatus> {
        query::licence_verify(
            &self.state.snapshot(),
            issuer,
            commitment,
            ProvinceCode::SHANGHAI,
            None,
        )
        .unwrap()
        .status
    }
}

pub fn type_spec(code: &LicenceTypeCode, class: DataClass) -> LicenceTypeSpec {
    LicenceTypeSpec {
        code: code.clone(),
        name: "营业执照".into(),
        schema_digest: [0x5c; 32],
        data_class: class,
        on_issuer_revoked: IssuerRevocationRule::StayValidFlagged,
    }
}

pub fn anchor(
    commitment: [u8; 32],
    licence_type: &LicenceTypeCode,
    from_ms: u64,
    until_ms: u64,
) -> TxPayload {
    TxPayload::AnchorLicence(AnchorLicence {
        commitment,
        licence_type: licence_type.clone(),
        valid_from_ms: from_ms,
        valid_until_ms: until_ms,
    })
}

pub fn status_change(
    issuer: &Uscc,
    commitment: [u8; 32],
    reason: StatusReason,
) -> LicenceStatusChange {
    LicenceStatusChange {
        target: LicenceTarget {
            issuer: issuer.clone(),
            commitment,
            batch: None,
        },
        reason,
    }
}

/// Shanghai chain with type `BL01` (unconditional) and an accredited Shanghai issuer (seed 21).
pub fn shanghai_issuer_chain() -> (Chain, SigningKey, LicenceTypeCode) {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let issuer = key(21);
    chain.accredit(ProvinceCode::SHANGHAI, &issuer, std::slice::from_ref(&code));
    (chain, issuer, code)
}
