//! Assessment frameworks as the editor and `kvalitet import` read them (TOML, or JSON with
//! the same keys): any text is read or refused with its problems, and a framework that reads
//! is valid and can be scored with no answers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(f) = kvalitet_formats::framework_toml::read(&text) {
        assert!(f.validate().is_ok());
        let _ = f.score(&Default::default());
        let _ = f.measure_ids();
    }
});
