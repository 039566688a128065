//! Hard limits on everything a transaction can make grow.
//!
//! These are consensus rules: changing one changes which transactions are valid. Values that
//! governance may tune live in [`crate::params::Parameters`]; the constants here are ceilings that
//! no parameter can exceed.

/// Ceiling for [`crate::params::Parameters::max_tx_bytes`]: no parameter change may raise it past this.
pub const MAX_TX_BYTES_CEILING: u32 = 64 * 1024;
/// Default largest canonical encoding of one signed transaction, in bytes.
pub const DEFAULT_MAX_TX_BYTES: u32 = 16 * 1024;
/// Smallest value governance may set for the transaction size limit.
pub const MIN_TX_BYTES_FLOOR: u32 = 1024;
/// Most transactions one block may carry.
pub const MAX_BLOCK_TXS: usize = 20_000;

/// Longest chain id, in ASCII bytes.
pub const MAX_CHAIN_ID_LEN: usize = 32;
/// Most member provinces.
pub const MAX_MEMBERS: usize = 64;
/// Most validators in the set.
pub const MAX_VALIDATORS: usize = 128;
/// Fewest members a removal may leave: with one member left no proposal could ever pass
/// (see [`MIN_YES_VOTES`]).
pub const MIN_MEMBERS: usize = 2;
/// Fewest yes votes of current members that pass a proposal, whatever the quorum fraction: no
/// single member ever decides alone.
pub const MIN_YES_VOTES: u64 = 2;
/// Most observer nodes one province may register.
pub const MAX_OBSERVERS_PER_PROVINCE: usize = 16;
/// Most observer nodes in all (one record holds them: its size stays bounded).
pub const MAX_OBSERVERS: usize = 256;
/// Most validator keys one province brings in the genesis.
pub const MAX_GENESIS_VALIDATORS_PER_PROVINCE: usize = 16;

/// Longest licence-type code, in ASCII bytes.
pub const MAX_TYPE_CODE_LEN: usize = 32;
/// Longest licence-type name, in UTF-8 bytes.
pub const MAX_TYPE_NAME_BYTES: usize = 128;
/// Most licence types one issuer accreditation may list.
pub const MAX_ACCREDITED_TYPES: usize = 64;
/// Most commitments one batch anchor may cover (the batch tree's own limit).
pub const MAX_BATCH_COUNT: u64 = crate::batch::MAX_BATCH_LEAVES;
/// Most sibling hashes in a batch membership proof (the batch tree's own limit).
pub const MAX_BATCH_PROOF_SIBLINGS: usize = crate::batch::MAX_BATCH_PROOF_SIBLINGS;
/// Most status events one licence may accumulate (anchoring included).
pub const MAX_LICENCE_HISTORY: u32 = 1024;

/// Most verification methods in one DID document.
pub const MAX_VERIFICATION_METHODS: usize = 16;
/// Most services in one DID document.
pub const MAX_SERVICES: usize = 16;
/// Most controller DIDs listed by one DID document.
pub const MAX_CONTROLLERS: usize = 8;
/// Most versions one DID may accumulate, deactivation included.
pub const MAX_DID_VERSIONS: u32 = 4096;
/// Versions at the top of [`MAX_DID_VERSIONS`] kept for key rotation, key removal and
/// deactivation: ordinary edits stop at `MAX_DID_VERSIONS - DID_VERSIONS_RESERVED`, rotation and
/// key removal at `MAX_DID_VERSIONS - 1`, and the last version is deactivation's alone.
pub const DID_VERSIONS_RESERVED: u32 = 64;
/// Longest DID URL fragment (`#key-1`), in ASCII bytes, without the `#`.
pub const MAX_FRAGMENT_LEN: usize = 32;
/// Longest service `type`, in ASCII bytes.
pub const MAX_SERVICE_TYPE_LEN: usize = 64;
/// Longest service endpoint URL, in ASCII bytes.
pub const MAX_SERVICE_ENDPOINT_LEN: usize = 256;

/// Ceiling for the proposal lifetime parameter, in blocks.
pub const MAX_PROPOSAL_TTL_BLOCKS: u64 = 10_000_000;
/// Most days a recognition condition may name.
pub const MAX_CONDITION_DAYS: u32 = 36_600;
