//! A signer's province, as its record in the state gives it: a member authority's key or an
//! accredited issuer's key. Any other signer has none (and shares the pool's bucket of signers
//! without a province).

use yrd_contracts::StateReader;
use yrd_contracts::keys;
use yrd_contracts::types::ProvinceCode;

/// The province of `signer` in the state `reader` reads, or `None` if no record names one.
///
/// A read or decoding fault also gives `None`: the transaction is then held under the bucket of
/// signers without a province, the most restricted share, never a wider one.
pub fn signer_province(reader: &impl StateReader, signer: &[u8; 32]) -> Option<u32> {
    let read = |key: Vec<u8>| reader.get(&key).ok().flatten();
    if let Some(bytes) = read(keys::authority_key(signer))
        && let Ok(province) = yrd_contracts::codec::decode_canonical::<ProvinceCode>(&bytes)
    {
        return Some(province.0);
    }
    let issuer = read(keys::issuer(signer))?;
    yrd_contracts::codec::decode_canonical::<yrd_contracts::records::IssuerRecord>(&issuer)
        .ok()
        .map(|record| record.province.0)
}
