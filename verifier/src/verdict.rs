//! What a verified answer proves, in words: the lines `yrd verify` prints.

use yrd_contracts::query::{Disclosure, LicenceVerification, RecognitionBasis};
use yrd_contracts::records::LicenceStatus;

use crate::query::{Evaluation, ProvenQuery};
use crate::verify::VerifiedAnswer;

/// The one-word outcome of a licence verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceVerdict {
    /// Active and inside its validity window.
    Valid,
    /// Active but outside its validity window (expired or not yet valid).
    OutsideValidity,
    /// Suspended.
    Suspended,
    /// Revoked.
    Revoked,
    /// No licence with this commitment is anchored.
    NeverAnchored,
    /// Anchored, valid or not as `valid` says, with no status disclosed (validity-only class).
    ValidityOnly {
        /// Valid now.
        valid: bool,
    },
    /// The data class discloses nothing to this caller.
    Withheld,
}

impl LicenceVerdict {
    /// From a `licence_verify` / `licence_get` value.
    pub fn of(answer: &LicenceVerification) -> Self {
        match (answer.disclosure, answer.status, answer.valid) {
            (Disclosure::NotFound, _, _) => LicenceVerdict::NeverAnchored,
            (Disclosure::Denied, _, _) => LicenceVerdict::Withheld,
            (_, Some(LicenceStatus::Revoked), _) => LicenceVerdict::Revoked,
            (_, Some(LicenceStatus::Suspended), _) => LicenceVerdict::Suspended,
            (_, Some(LicenceStatus::Active), Some(false)) => LicenceVerdict::OutsideValidity,
            (_, Some(LicenceStatus::Active), _) => LicenceVerdict::Valid,
            (_, None, Some(valid)) => LicenceVerdict::ValidityOnly { valid },
            (_, None, None) => LicenceVerdict::Withheld,
        }
    }

    /// Lower-case words.
    pub fn words(self) -> &'static str {
        match self {
            LicenceVerdict::Valid => "valid",
            LicenceVerdict::OutsideValidity => "not valid (outside its validity window)",
            LicenceVerdict::Suspended => "suspended",
            LicenceVerdict::Revoked => "revoked",
            LicenceVerdict::NeverAnchored => "never anchored",
            LicenceVerdict::ValidityOnly { valid: true } => "valid (status not disclosed)",
            LicenceVerdict::ValidityOnly { valid: false } => "not valid (status not disclosed)",
            LicenceVerdict::Withheld => "not disclosed to this caller",
        }
    }
}

fn basis_words(basis: RecognitionBasis) -> &'static str {
    match basis {
        RecognitionBasis::HomeProvince => "issued in this province",
        RecognitionBasis::Policy => "by the region's recognition policy",
        RecognitionBasis::NoPolicy => {
            "the region has no recognition policy for this type and issuing province"
        }
        RecognitionBasis::PolicyWithdrawn => "the region's policy was withdrawn",
        RecognitionBasis::ConditionNotMet => "the policy's condition does not hold",
    }
}

/// The proven facts of a verified answer, one per line.
pub fn describe(verified: &VerifiedAnswer) -> Vec<String> {
    let mut lines = vec![format!(
        "proven at state height {} (certified by block {} at height {}, epoch {})",
        verified.version,
        hex::encode(verified.block_id),
        verified.header_height,
        verified.epoch
    )];
    let value = match &verified.evaluation {
        Evaluation::Found(value) => value,
        Evaluation::NotFound => {
            lines.push(match &verified.query {
                ProvenQuery::LicenceGet(_) | ProvenQuery::LicenceGetHistory(_) => {
                    "licence: never anchored".to_owned()
                }
                other => format!("{}: not found (absence proven)", other.method()),
            });
            return lines;
        }
        Evaluation::Restricted(why) => {
            lines.push(format!("{}: restricted: {why}", verified.query.method()));
            return lines;
        }
    };
    match &verified.query {
        ProvenQuery::LicenceVerify(_) | ProvenQuery::LicenceGet(_) => {
            match serde_json::from_value::<LicenceVerification>(value.clone()) {
                Ok(answer) => {
                    lines.push(format!("licence: {}", LicenceVerdict::of(&answer).words()));
                    if let Some(recognition) = &answer.recognition {
                        lines.push(format!(
                            "{} in region {}: {}",
                            if recognition.recognised {
                                "recognised"
                            } else {
                                "not recognised"
                            },
                            recognition.region,
                            basis_words(recognition.basis)
                        ));
                    }
                    if let Some(details) = &answer.details {
                        lines.push(format!(
                            "type {}, issued in {} by {} (issuer {}), anchored at height {}",
                            details.licence_type,
                            details.issuer.province,
                            details.issuer.key,
                            details.issuer.status.map_or("not accredited", |s| s.name()),
                            details.anchored_height
                        ));
                    }
                }
                Err(e) => lines.push(format!("licence: unreadable value: {e}")),
            }
        }
        ProvenQuery::LicenceGetHistory(_) => {
            let events = value.as_array().map_or(0, Vec::len);
            lines.push(format!("licence history: {events} events"));
        }
        other => lines.push(format!("{}: {}", other.method(), value)),
    }
    lines
}
