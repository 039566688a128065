//! Node identity: the 32-byte ed25519 key in the membership list is the libp2p identity.
//!
//! A validator signs consensus messages with an `ed25519_dalek::SigningKey`; the same 32 secret
//! bytes become the node's libp2p keypair, so the key listed on chain *is* the transport identity
//! that Noise authenticates. A `PeerId` of an ed25519 key embeds the public key itself (identity
//! multihash), so the mapping works both ways without a lookup table.

use libp2p::PeerId;
use libp2p::identity::{Keypair, PublicKey, ed25519};

use super::error::NetworkError;

/// Multihash code of the identity hash, used by libp2p for public keys short enough to inline.
const IDENTITY_MULTIHASH_CODE: u64 = 0x00;

/// A 32-byte ed25519 public key as listed in genesis or on-chain membership.
pub type PublicKeyBytes = [u8; 32];

/// Builds the libp2p keypair from the node's 32-byte ed25519 secret (the RFC 8032 seed, the same
/// bytes as `ed25519_dalek::SigningKey::to_bytes`).
pub fn keypair_from_secret(secret_key: &[u8; 32]) -> Result<Keypair, NetworkError> {
    let mut seed = *secret_key;
    // libp2p zeroes the buffer it is given; the copy is what gets wiped.
    Keypair::ed25519_from_bytes(&mut seed)
        .map_err(|err| NetworkError::InvalidSecretKey(err.to_string()))
}

/// The public key that belongs to a node secret.
pub fn public_key_from_secret(secret_key: &[u8; 32]) -> Result<PublicKeyBytes, NetworkError> {
    let keypair = keypair_from_secret(secret_key)?;
    let public = keypair
        .public()
        .try_into_ed25519()
        .map_err(|err| NetworkError::InvalidSecretKey(err.to_string()))?;
    Ok(public.to_bytes())
}

/// The libp2p `PeerId` of a member's ed25519 public key.
pub fn peer_id_from_public_key(public_key: &PublicKeyBytes) -> Result<PeerId, NetworkError> {
    let key = ed25519::PublicKey::try_from_bytes(public_key).map_err(|_| {
        NetworkError::InvalidPublicKey {
            key_hex: hex::encode(public_key),
        }
    })?;
    Ok(PublicKey::from(key).to_peer_id())
}

/// The ed25519 public key embedded in a `PeerId`, or `None` for peers identified by another key
/// type or by a hashed (non-inlined) key.
pub fn public_key_from_peer_id(peer_id: &PeerId) -> Option<PublicKeyBytes> {
    let multihash = peer_id.as_ref();
    if multihash.code() != IDENTITY_MULTIHASH_CODE {
        return None;
    }
    let public = PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    Some(public.try_into_ed25519().ok()?.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libp2p_identity_matches_the_dalek_validator_key() {
        let secret = [7u8; 32];
        let dalek = ed25519_dalek::SigningKey::from_bytes(&secret);
        let expected_public = dalek.verifying_key().to_bytes();
        assert_eq!(public_key_from_secret(&secret).unwrap(), expected_public);

        let keypair = keypair_from_secret(&secret).unwrap();
        assert_eq!(
            keypair.public().to_peer_id(),
            peer_id_from_public_key(&expected_public).unwrap()
        );
    }

    #[test]
    fn peer_id_round_trips_to_the_public_key() {
        for seed in 0u8..8 {
            let public = public_key_from_secret(&[seed; 32]).unwrap();
            let peer_id = peer_id_from_public_key(&public).unwrap();
            assert_eq!(public_key_from_peer_id(&peer_id), Some(public));
        }
    }

    #[test]
    fn distinct_keys_give_distinct_peer_ids() {
        let a = peer_id_from_public_key(&public_key_from_secret(&[1; 32]).unwrap()).unwrap();
        let b = peer_id_from_public_key(&public_key_from_secret(&[2; 32]).unwrap()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn non_curve_point_is_rejected_as_public_key() {
        // y = 2 is not on the curve (no square root for x^2); decompression must fail.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        let result = peer_id_from_public_key(&not_a_point);
        assert!(
            matches!(result, Err(NetworkError::InvalidPublicKey { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn random_peer_id_has_no_ed25519_key() {
        // A PeerId built from a sha256 multihash carries no inline key.
        assert_eq!(public_key_from_peer_id(&PeerId::random()), None);
    }
}
