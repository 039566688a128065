//! NODE TARGET (feature `node`): JSON-RPC parameter parsers (hex, USCC, DID, licence type,
//! province, block reference, verifier auth): never a panic on any client string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_node::rpc::params::{
    AuthParam, BlockParam, ProvinceParam, parse_did, parse_hex32, parse_hex64, parse_licence_type,
    parse_tx_hex, parse_uscc,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_hex32("p", text);
        let _ = parse_hex64("p", text);
        let _ = parse_tx_hex(text);
        let _ = parse_uscc("p", text);
        if let Ok(did) = parse_did("p", text) {
            assert_eq!(did.to_string(), text);
        }
        let _ = parse_licence_type("p", text);
    }
    if let Ok(province) = serde_json::from_slice::<ProvinceParam>(data) {
        let _ = province.parse("province");
    }
    if let Ok(block) = serde_json::from_slice::<BlockParam>(data) {
        let _ = block.parse();
    }
    let _ = serde_json::from_slice::<AuthParam>(data);
});
