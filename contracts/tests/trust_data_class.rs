//! Attack on the data classes: the owner loosens a type's class to expose licences anchored
//! under the stricter class. `query::effective_data_class` keeps the stricter class for them.

mod common;

use common::*;
use yrd_contracts::query;
use yrd_contracts::{DataClass, ProvinceCode, TxPayload};

#[test]
fn loosening_a_data_class_does_not_expose_earlier_licences() {
    let mut chain = Chain::new();
    let code = chain.register_type("SH-HEALTH", DataClass::NonOpen);
    let issuer = key(21);
    chain.accredit(ProvinceCode::SHANGHAI, &issuer, std::slice::from_ref(&code));
    chain
        .run(&issuer, anchor([1; 32], &code, 0, u64::MAX))
        .unwrap();
    let first_height = chain.state.version();
    // The owner loosens the class to conditional, then to unconditional.
    let sh = authority(ProvinceCode::SHANGHAI);
    chain
        .run(
            &sh,
            TxPayload::UpdateLicenceType(type_spec(&code, DataClass::Conditional)),
        )
        .unwrap();
    chain
        .run(&issuer, anchor([2; 32], &code, 0, u64::MAX))
        .unwrap();
    let second_height = chain.state.version();
    chain
        .run(
            &sh,
            TxPayload::UpdateLicenceType(type_spec(&code, DataClass::Unconditional)),
        )
        .unwrap();
    chain
        .run(&issuer, anchor([3; 32], &code, 0, u64::MAX))
        .unwrap();
    let third_height = chain.state.version();
    let snapshot = chain.state.snapshot();
    let class = |h| query::effective_data_class(&snapshot, &code, h).unwrap();
    assert_eq!(class(first_height), DataClass::NonOpen);
    assert_eq!(class(second_height), DataClass::Conditional);
    assert_eq!(class(third_height), DataClass::Unconditional);
    // Tightening again applies to every licence.
    chain
        .run(
            &sh,
            TxPayload::UpdateLicenceType(type_spec(&code, DataClass::NonOpen)),
        )
        .unwrap();
    let snapshot = chain.state.snapshot();
    for h in [first_height, second_height, third_height] {
        assert_eq!(
            query::effective_data_class(&snapshot, &code, h).unwrap(),
            DataClass::NonOpen
        );
    }
}
