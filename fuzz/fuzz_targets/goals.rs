//! Goal plans as `kvalitet import` reads them (TOML, or JSON with the same keys): any text is
//! read or refused with its problems, a plan that reads has no problems by the plan's rules,
//! and written back (as the goal-by-goal editor saves it) it reads the same. The editor's
//! target paths: any text is read or refused, and what reads is shown so that it reads back.
#![no_main]

use kvalitet_domain::goals::{Aim, parse_targets, targets_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(plan) = kvalitet_formats::goal_file::read(&text, |_| true) {
        assert!(kvalitet_domain::goals::plan_problems(&plan.goals, |_| true).is_empty());
        let written = kvalitet_formats::goal_file::write(&plan).expect("a plan that reads writes");
        let again = kvalitet_formats::goal_file::read(&written, |_| true).expect("and reads back");
        assert_eq!(again, plan);
    }
    for aim in [Aim::Higher, Aim::Within] {
        if let Ok(path) = parse_targets(&text, aim) {
            assert_eq!(parse_targets(&targets_text(&path), aim).ok(), Some(path));
        }
    }
});
