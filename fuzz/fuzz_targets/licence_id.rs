//! Licence identifiers and their parts (what `yrd verify`, the licence RPCs and the issuer tools
//! parse): never a panic; whatever parses prints back exactly as given (one identifier, one
//! spelling); the JSON form agrees with the text form; a USCC's borsh form round trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::licence_id::{
    LicenceId, LicenceSerial, LicenceTypeCode, Uscc, iso7064_mod37_36_check, licence_commitment,
    parse,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = parse(text) {
            assert_eq!(id.to_string(), text);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<LicenceId>(&json).unwrap(), id);
            let _ = licence_commitment(&id, &[0; 32]);
        }
        if let Ok(uscc) = text.parse::<Uscc>() {
            assert_eq!(uscc.as_str(), text);
            assert_eq!(decode_canonical::<Uscc>(&encode(&uscc)), Ok(uscc.clone()));
            let _ = uscc.province();
        }
        if let Ok(code) = text.parse::<LicenceTypeCode>() {
            assert_eq!(code.as_str(), text);
            let _ = code.defining_authority();
        }
        if let Ok(serial) = text.parse::<LicenceSerial>() {
            assert_eq!(serial.as_str(), text);
        }
        let _ = iso7064_mod37_36_check(text);
        let _ = serde_json::from_str::<LicenceId>(text);
        if let Some(first_17) = text.get(..17.min(text.len())) {
            let _ = Uscc::with_check_character(first_17);
        }
    }
    // Borsh USCC from arbitrary 18 bytes: accepted only when valid, and canonical.
    if let Ok(uscc) = decode_canonical::<Uscc>(data) {
        assert_eq!(encode(&uscc), data);
        assert_eq!(uscc.as_str().parse::<Uscc>(), Ok(uscc.clone()));
    }
});
