//! Goal plans as `kvalitet import` reads them (TOML, or JSON with the same keys): any text is
//! read or refused with its problems, and a plan that reads has no problems by the plan's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(plan) = kvalitet_formats::goal_file::read(&text, |_| true) {
        assert!(kvalitet_domain::goals::plan_problems(&plan.goals, |_| true).is_empty());
    }
});
