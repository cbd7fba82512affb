//! Job schedules (`[[jobs.schedule]] cron` in kvalitet.toml): any text is read or refused,
//! and a schedule that reads gives a next run strictly after the moment asked, on a whole
//! minute, and a later one after that.
#![no_main]

use kvalitet_domain::Timestamp;
use kvalitet_domain::jobs::Cron;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(cron) = Cron::parse(&text) else {
        return;
    };
    let after = Timestamp::parse("2026-10-25T00:17:31Z").expect("a moment");
    if let Some(next) = cron.next_after(after) {
        assert!(next > after);
        assert_eq!(next.datetime().second(), 0);
        let later = cron.next_after(next).expect("a schedule that runs once runs again");
        assert!(later > next);
    }
});
