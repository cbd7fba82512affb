//! Files residents attach to proposals: any bytes are kept or refused without a panic; what
//! is hardly larger than what was sent and is checked again the same (keeping is idempotent:
//! nothing is left to drop, so no text chunk or EXIF beyond an orientation survives).
#![no_main]

use kvalitet_formats::attachment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(kept) = attachment::check("bilaga.bin", data) else {
        return;
    };
    // A JPEG's orientation block (36 bytes) is put back where a longer EXIF block was.
    assert!(kept.bytes.len() <= data.len() + 36);
    let again = attachment::check(&kept.name, &kept.bytes).expect("kept bytes check again");
    assert_eq!(again.kind, kept.kind);
    assert_eq!(again.bytes, kept.bytes, "keeping twice changes nothing");
});
