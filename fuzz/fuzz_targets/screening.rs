//! Kvalitetskommun screening sets (`serve --screening-set`): any text is read or refused with
//! its place, a set that reads passes the set's rules with a line per figure, and screening
//! four kommuner on values taken from the same bytes gives scores within 0–100 and ranks
//! within the number of kommuner, whatever the weights and years.
#![no_main]

use std::collections::{BTreeMap, HashMap};

use kvalitet_domain::screening::screen;
use kvalitet_domain::{MunicipalityId, Year};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(read) = kvalitet_formats::screening_file::read(&text) else {
        return;
    };
    assert!(read.set.validate().is_ok());
    assert_eq!(read.lines.len(), read.set.measures.len());
    let last_line = text.matches('\n').count() as u64 + 1;
    assert!(read.lines.iter().all(|&l| (1..=last_line).contains(&l)));
    let kommuner: Vec<MunicipalityId> = ["0180", "1480", "2321", "1407"]
        .iter()
        .map(|id| MunicipalityId::parse(id).expect("a kommun id"))
        .collect();
    // Values from the bytes: a byte per kommun and year, 255 meaning "no value".
    let mut bytes = data.iter().rev().copied().cycle();
    let values = read
        .set
        .measures
        .iter()
        .map(|_| {
            kommuner
                .iter()
                .map(|k| {
                    let series: BTreeMap<Year, f64> = (2018..=2023)
                        .filter_map(|y| {
                            let b = bytes.next().unwrap_or(255);
                            (b != 255).then(|| (Year::new(y).expect("a year"), f64::from(b)))
                        })
                        .collect();
                    (*k, series)
                })
                .collect()
        })
        .collect();
    let year = Year::new(2023).expect("a year");
    let screening = screen(&read.set, year, &kommuner, &HashMap::new(), &values);
    assert_eq!(screening.breakdowns.len(), kommuner.len());
    for b in &screening.breakdowns {
        for score in [b.level, b.improvement].into_iter().flatten() {
            assert!((0.0..=100.0).contains(&score), "{score}");
        }
        for rank in [b.level_rank, b.improvement_rank].into_iter().flatten() {
            assert!((1..=kommuner.len()).contains(&rank));
        }
    }
});
