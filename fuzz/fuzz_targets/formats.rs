//! Every import format through the one reader: the first byte picks a format to force (or
//! none, to detect it), the rest is the file: value and catalogue CSVs, Kolada JSON, GeoJSON,
//! measure sets and frameworks (TOML or JSON), gzip or not.
#![no_main]

use kvalitet_formats::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = Format::ALL.get(usize::from(pick)).copied();
    let mut records = 0usize;
    let mut sink = |_r: Result<
        (kvalitet_formats::Location, kvalitet_formats::Record),
        kvalitet_formats::RowError,
    >| {
        records += 1;
        true
    };
    let _ = kvalitet_formats::read(file, format, &mut sink);
});
