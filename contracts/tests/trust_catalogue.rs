//! Attacks on the catalogue: registering a GB/T 36902 type code in another province's namespace,
//! or updating a type another province registered.

mod common;

use common::*;
use yrd_contracts::query;
use yrd_contracts::{DataClass, LicenceTypeCode, ProvinceCode, TxPayload};

/// A valid USCC of a Jiangsu (division 320000) body, with a type sequence number.
const JIANGSU_TYPE: &str = "11320000MB0000001G001";
/// The same for Shanghai (division 310000).
const SHANGHAI_TYPE: &str = "11310000MB0000001C001";

fn register(code: &str, class: DataClass) -> TxPayload {
    TxPayload::RegisterLicenceType(type_spec(&LicenceTypeCode(code.into()), class))
}

#[test]
fn gbt_type_code_of_another_province_is_refused() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let refused = chain
        .run(&sh, register(JIANGSU_TYPE, DataClass::Unconditional))
        .unwrap_err();
    assert_eq!(refused.code(), 313, "{refused}");
    assert!(refused.to_string().contains("320000"), "{refused}");
    // Its own province's code, and Jiangsu's own, are fine.
    chain
        .run(&sh, register(SHANGHAI_TYPE, DataClass::Conditional))
        .unwrap();
    chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            register(JIANGSU_TYPE, DataClass::NonOpen),
        )
        .unwrap();
    let owner = query::licence_type_get(
        &chain.state.snapshot(),
        &LicenceTypeCode(JIANGSU_TYPE.into()),
    )
    .unwrap()
    .unwrap()
    .owner;
    assert_eq!(owner, ProvinceCode::JIANGSU);
}

#[test]
fn malformed_gbt_type_code_cannot_pass_as_free_form() {
    let mut chain = Chain::new();
    // The right shape with a wrong USCC check character.
    let near_miss = "11320000MB0000001H001";
    assert_eq!(
        chain
            .run(
                &authority(ProvinceCode::JIANGSU),
                register(near_miss, DataClass::Unconditional)
            )
            .unwrap_err()
            .code(),
        200
    );
}

#[test]
fn free_form_type_of_another_province_cannot_be_updated() {
    let mut chain = Chain::new();
    let code = chain.register_type("SH-FOOD-BIZ", DataClass::NonOpen);
    assert_eq!(
        chain
            .run(
                &authority(ProvinceCode::JIANGSU),
                TxPayload::UpdateLicenceType(type_spec(&code, DataClass::Unconditional)),
            )
            .unwrap_err()
            .code(),
        309
    );
}
