//! Stateless checks of transaction payloads: every bounded field within its bound, every code
//! well formed. Rules that need state live in `crate::apply`.

use crate::error::TxError;
use crate::limits::{
    MAX_ACCREDITED_TYPES, MAX_BATCH_COUNT, MAX_BATCH_PROOF_SIBLINGS, MAX_CONDITION_DAYS,
    MAX_SERVICE_ENDPOINT_LEN, MAX_SERVICE_TYPE_LEN, MAX_SERVICES, MAX_TYPE_NAME_BYTES,
};
use crate::tx::{GovernanceAction, LicenceTarget, RecognitionCondition, ServiceSpec, TxPayload};
use crate::types::FieldError;

impl ServiceSpec {
    /// Checks the fragment, type and endpoint.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.fragment.validate("service.fragment")?;
        let printable = |s: &str| s.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if self.service_type.is_empty()
            || self.service_type.len() > MAX_SERVICE_TYPE_LEN
            || !printable(&self.service_type)
        {
            return Err(FieldError::new(
                "service.service_type",
                format!("must be 1..={MAX_SERVICE_TYPE_LEN} bytes of printable ASCII"),
            ));
        }
        if self.endpoint.len() > MAX_SERVICE_ENDPOINT_LEN
            || !printable(&self.endpoint)
            || !self.endpoint.starts_with("https://")
            || self.endpoint.len() <= "https://".len()
        {
            return Err(FieldError::new(
                "service.endpoint",
                format!(
                    "must be an https:// URL of at most {MAX_SERVICE_ENDPOINT_LEN} printable ASCII bytes"
                ),
            ));
        }
        Ok(())
    }
}

impl TxPayload {
    /// A short stable name of the kind of transaction (used in receipts and logs).
    pub fn kind(&self) -> &'static str {
        match self {
            TxPayload::Propose(_) => "propose",
            TxPayload::Vote { .. } => "vote",
            TxPayload::AccreditIssuer(_) => "accreditIssuer",
            TxPayload::SuspendIssuer { .. } => "suspendIssuer",
            TxPayload::RevokeIssuer { .. } => "revokeIssuer",
            TxPayload::RegisterLicenceType(_) => "registerLicenceType",
            TxPayload::UpdateLicenceType(_) => "updateLicenceType",
            TxPayload::AnchorLicence(_) => "anchorLicence",
            TxPayload::AnchorBatch(_) => "anchorBatch",
            TxPayload::SuspendLicence(_) => "suspendLicence",
            TxPayload::RevokeLicence(_) => "revokeLicence",
            TxPayload::ReinstateLicence(_) => "reinstateLicence",
            TxPayload::RenewLicence(_) => "renewLicence",
            TxPayload::DeclareRecognition(_) => "declareRecognition",
            TxPayload::WithdrawRecognition { .. } => "withdrawRecognition",
            TxPayload::DidCreate(_) => "didCreate",
            TxPayload::DidAddVerificationMethod { .. } => "didAddVerificationMethod",
            TxPayload::DidRemoveVerificationMethod { .. } => "didRemoveVerificationMethod",
            TxPayload::DidAddService { .. } => "didAddService",
            TxPayload::DidRemoveService { .. } => "didRemoveService",
            TxPayload::DidRotateKey { .. } => "didRotateKey",
            TxPayload::DidAddController { .. } => "didAddController",
            TxPayload::DidRemoveController { .. } => "didRemoveController",
            TxPayload::DidDeactivate { .. } => "didDeactivate",
            TxPayload::TimestampDocument { .. } => "timestampDocument",
            TxPayload::RegisterVerifier { .. } => "registerVerifier",
            TxPayload::DeregisterVerifier { .. } => "deregisterVerifier",
            TxPayload::RegisterObserver { .. } => "registerObserver",
            TxPayload::RemoveObserver { .. } => "removeObserver",
            TxPayload::BindNetworkKey { .. } => "bindNetworkKey",
        }
    }

    /// Stateless checks: every bounded field within its bound, every code well formed.
    pub fn validate(&self) -> Result<(), TxError> {
        match self {
            TxPayload::Propose(action) => validate_action(action),
            TxPayload::AccreditIssuer(a) => {
                if a.licence_types.is_empty() || a.licence_types.len() > MAX_ACCREDITED_TYPES {
                    return Err(TxError::ListTooLong {
                        field: "licence_types",
                        len: a.licence_types.len(),
                        max: MAX_ACCREDITED_TYPES,
                    });
                }
                for code in &a.licence_types {
                    code.validate()?;
                }
                if !a
                    .licence_types
                    .windows(2)
                    .all(|w| matches!(w, [x, y] if x < y))
                {
                    return Err(
                        FieldError::new("licence_types", "must be sorted and unique").into(),
                    );
                }
                Ok(())
            }
            TxPayload::RegisterLicenceType(spec) | TxPayload::UpdateLicenceType(spec) => {
                spec.code.validate()?;
                if spec.name.len() > MAX_TYPE_NAME_BYTES {
                    return Err(TxError::FieldTooLong {
                        field: "name",
                        len: spec.name.len(),
                        max: MAX_TYPE_NAME_BYTES,
                    });
                }
                if spec.name.trim().is_empty() || spec.name.chars().any(char::is_control) {
                    return Err(FieldError::new(
                        "name",
                        "must be non-blank text without control characters",
                    )
                    .into());
                }
                Ok(())
            }
            TxPayload::AnchorLicence(a) => {
                a.licence_type.validate()?;
                validate_window(a.valid_from_ms, a.valid_until_ms)
            }
            TxPayload::AnchorBatch(b) => {
                b.licence_type.validate()?;
                if b.count == 0 || b.count > MAX_BATCH_COUNT {
                    return Err(TxError::OutOfRange {
                        field: "count",
                        value: b.count,
                        min: 1,
                        max: MAX_BATCH_COUNT,
                    });
                }
                Ok(())
            }
            TxPayload::SuspendLicence(c)
            | TxPayload::RevokeLicence(c)
            | TxPayload::ReinstateLicence(c) => validate_target(&c.target),
            TxPayload::RenewLicence(r) => {
                validate_target(&r.target)?;
                validate_window(r.valid_from_ms, r.valid_until_ms)
            }
            TxPayload::DeclareRecognition(d) => {
                d.licence_type.validate()?;
                d.issuing_province.validate()?;
                match d.condition {
                    Some(RecognitionCondition::MinRemainingValidityDays { days })
                        if days == 0 || days > MAX_CONDITION_DAYS =>
                    {
                        Err(TxError::OutOfRange {
                            field: "condition.days",
                            value: u64::from(days),
                            min: 1,
                            max: u64::from(MAX_CONDITION_DAYS),
                        })
                    }
                    _ => Ok(()),
                }
            }
            TxPayload::WithdrawRecognition {
                licence_type,
                issuing_province,
            } => {
                licence_type.validate()?;
                Ok(issuing_province.validate()?)
            }
            TxPayload::DidCreate(c) => {
                if c.services.len() > MAX_SERVICES {
                    return Err(TxError::ListTooLong {
                        field: "services",
                        len: c.services.len(),
                        max: MAX_SERVICES,
                    });
                }
                for s in &c.services {
                    s.validate()?;
                }
                Ok(())
            }
            TxPayload::DidAddVerificationMethod { method, .. } => {
                Ok(method.fragment.validate("method.fragment")?)
            }
            TxPayload::DidRemoveVerificationMethod { fragment, .. }
            | TxPayload::DidRemoveService { fragment, .. }
            | TxPayload::DidRotateKey { fragment, .. } => Ok(fragment.validate("fragment")?),
            TxPayload::DidAddService { service, .. } => Ok(service.validate()?),
            TxPayload::Vote { .. }
            | TxPayload::SuspendIssuer { .. }
            | TxPayload::RevokeIssuer { .. }
            | TxPayload::DidAddController { .. }
            | TxPayload::DidRemoveController { .. }
            | TxPayload::DidDeactivate { .. }
            | TxPayload::TimestampDocument { .. }
            | TxPayload::RegisterVerifier { .. }
            | TxPayload::DeregisterVerifier { .. }
            | TxPayload::RegisterObserver { .. }
            | TxPayload::RemoveObserver { .. }
            | TxPayload::BindNetworkKey { .. } => Ok(()),
        }
    }
}

fn validate_action(action: &GovernanceAction) -> Result<(), TxError> {
    match action {
        GovernanceAction::AddMember { province, .. }
        | GovernanceAction::RemoveMember { province }
        | GovernanceAction::AddValidator { province, .. }
        | GovernanceAction::RotateAuthorityKey { province, .. } => Ok(province.validate()?),
        GovernanceAction::RemoveValidator { .. } => Ok(()),
        GovernanceAction::SetParameters(p) => Ok(p.validate()?),
    }
}

fn validate_window(from_ms: u64, until_ms: u64) -> Result<(), TxError> {
    if until_ms <= from_ms {
        return Err(TxError::InvalidValidity {
            valid_from_ms: from_ms,
            valid_until_ms: until_ms,
        });
    }
    Ok(())
}

fn validate_target(target: &LicenceTarget) -> Result<(), TxError> {
    if let Some(batch) = &target.batch
        && batch.proof.siblings.len() > MAX_BATCH_PROOF_SIBLINGS
    {
        return Err(TxError::ListTooLong {
            field: "batch.proof.siblings",
            len: batch.proof.siblings.len(),
            max: MAX_BATCH_PROOF_SIBLINGS,
        });
    }
    Ok(())
}
