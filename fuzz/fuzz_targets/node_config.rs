//! NODE TARGET (feature `node`): a node configuration file (TOML) as `NodeConfig::load` parses it
//! before resolving paths: never a panic, and a parsed config serialises and parses back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_node::config::NodeConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = toml::from_str::<NodeConfig>(text) {
        let _ = config.consensus.core_config();
        let _ = config.consensus.host_config();
        if let Ok(again) = toml::to_string(&config) {
            assert!(toml::from_str::<NodeConfig>(&again).is_ok());
        }
    }
});
