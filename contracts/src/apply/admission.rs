//! Membership checks that freeze a removed province's delegates without touching them.
//!
//! Removing a member does not walk its issuers or verifier registrations (unbounded sets).
//! Instead every authorisation that acts through such a record asks here whether the record's
//! province is a member *and* whether the record was last authorised during the province's
//! current admission (`height >= joined_height`). A re-admission never happens in the block of
//! the removal, so a record made before the removal always has a height below the new
//! `joined_height`. See docs/adr/008-governance-cascade.md.

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::records::{IssuerRecord, IssuerStatus, MemberRecord};
use crate::types::ProvinceCode;

impl TxCx<'_> {
    /// The member record of the province whose current authority key signed.
    ///
    /// Authority keys stay in the key table after a removal (so they are never reused); a key
    /// counts only while it is the key of its province's current member record.
    pub(crate) fn require_member_authority(&self) -> Result<MemberRecord, ApplyError> {
        let not_authority = || TxError::NotAuthority {
            signer: self.signer,
        };
        let province = self
            .get::<ProvinceCode>(&keys::authority_key(&self.signer))?
            .ok_or_else(not_authority)?;
        let member = self
            .get::<MemberRecord>(&keys::member(province))?
            .filter(|m| m.authority_key == self.signer)
            .ok_or_else(not_authority)?;
        Ok(member)
    }

    /// The member record of `province` if `height` (when a record acting for it was last
    /// authorised) falls in its current admission.
    pub(crate) fn require_current_admission(
        &self,
        kind: &'static str,
        id: impl FnOnce() -> String,
        province: ProvinceCode,
        height: u64,
    ) -> Result<MemberRecord, ApplyError> {
        let member = self
            .get::<MemberRecord>(&keys::member(province))?
            .ok_or(TxError::ProvinceNotMember { province })?;
        if height < member.joined_height {
            return Err(TxError::PredatesAdmission {
                kind,
                id: id(),
                province,
                height,
                joined_height: member.joined_height,
            }
            .into());
        }
        Ok(member)
    }

    /// Refuses a signer key that belongs to an issuer that may not act: suspended, revoked, or
    /// frozen by its province's removal. Keys that are no issuer's pass.
    pub(crate) fn refuse_barred_issuer_key(&self) -> Result<(), ApplyError> {
        match self.get::<IssuerRecord>(&keys::issuer(&self.signer))? {
            None => Ok(()),
            Some(record) => self.check_issuer(record).map(|_| ()),
        }
    }

    /// `record` if it is active and accredited in its province's current admission.
    pub(crate) fn check_issuer(&self, record: IssuerRecord) -> Result<IssuerRecord, ApplyError> {
        match record.status {
            IssuerStatus::Active => {}
            IssuerStatus::Suspended => {
                return Err(TxError::IssuerSuspended { issuer: record.key }.into());
            }
            IssuerStatus::Revoked => {
                return Err(TxError::IssuerRevoked { issuer: record.key }.into());
            }
        }
        self.require_current_admission(
            "issuer",
            || hex::encode(record.key),
            record.province,
            record.updated_height,
        )?;
        Ok(record)
    }
}
