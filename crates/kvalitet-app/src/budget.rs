//! Citizen budgets (medborgarbudget): counting a round by its published rule. For now the
//! analysts' path, a round in Pabulib's `.pb` format counted by greedy or equal shares
//! (`kvalitet budget count`, docs/dialogue.md).

use kvalitet_domain::Message;
use kvalitet_domain::budget::{self, Outcome, Rule};
use kvalitet_formats::pabulib::{self, PbRound};

/// The largest `.pb` file read: Warsaw's citywide rounds, the largest in Pabulib, are about
/// 10 MB.
pub const MAX_PB_BYTES: u64 = 256 << 20;

/// A `.pb` round and its count.
#[derive(Debug, Clone)]
pub struct CountedFile {
    pub round: PbRound,
    pub outcome: Outcome,
}

/// Reads a `.pb` file and counts it by `rule`. A `.pb` file carries no lot, so the file's
/// order of projects stands in for it where cost and votes are tied. Every problem of the
/// file names its line.
pub fn count_pb(bytes: &[u8], rule: Rule) -> Result<CountedFile, Vec<Message>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| vec![Message::new("not_utf8").with("byte", e.valid_up_to())])?;
    let round = pabulib::read(text)?;
    let lot: Vec<usize> = (0..round.election.projects.len()).collect();
    let outcome = budget::count(&round.election, rule, &lot).map_err(|e| vec![e])?;
    Ok(CountedFile { round, outcome })
}
