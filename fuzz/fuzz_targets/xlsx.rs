//! Spreadsheets as uploaded (.xlsx, .ods, .xls): any bytes are read or refused, never a panic or an
//! allocation past the reader's limits (libFuzzer's -rss_limit_mb catches those).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(csv) = kvalitet_formats::sheet::to_csv(data) {
        assert!(csv.len() <= kvalitet_formats::sheet::Limits::default().max_csv_bytes + 1);
    }
    let _ = kvalitet_formats::sheet::rows(data);
});
