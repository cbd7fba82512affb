//! The two files of survey weighting (`kvalitet survey weight`, docs/surveys.md): the
//! population's shares (`variable,level,share`) and the respondents (an id column, then a
//! column per variable, and optionally `base_weight`), as CSV with commas or semicolons or as
//! a spreadsheet. Every problem names its line and column; the respondents come out coded
//! against the shares, ready for `kvalitet_domain::weighting::rake`.

use std::collections::HashMap;

use kvalitet_domain::Message;
use kvalitet_domain::swedish::parse_number;
use kvalitet_domain::weighting::{MAX_LEVELS, MAX_MARGINS, Margin};

use crate::table::Table;

/// How far a variable's shares may sum from 1 (rounded shares in a file) before the file is
/// refused; shares within it are scaled to sum to exactly 1.
pub const SHARE_SUM_TOLERANCE: f64 = 0.001;
/// The most respondents read: far above any survey's.
pub const MAX_RESPONDENTS: usize = 10_000_000;
/// Problems listed before reading stops.
const MAX_PROBLEMS: usize = 50;

/// Reads the population's shares: one row per variable and level. The variables keep the
/// order they first appear in; their names are compared without case.
pub fn read_targets(text: &str) -> Result<Vec<Margin>, Vec<Message>> {
    let table = Table::with_columns(text, &["variable", "level", "share"], &[])?;
    let mut margins: Vec<Margin> = Vec::new();
    let mut problems = Vec::new();
    for row in table.rows() {
        let variable = row.get("variable").to_lowercase();
        let level = row.get("level").to_owned();
        if variable.is_empty() {
            problems.push(row.at("variable").say(Message::new("value_missing")));
            continue;
        }
        if level.is_empty() {
            problems.push(row.at("level").say(Message::new("value_missing")));
            continue;
        }
        let Some(share) = parse_number(row.get("share")).filter(|s| (0.0..=1.0).contains(s)) else {
            problems.push(row.at("share").say(
                Message::new("share_not_a_share").with("value", format!("{:?}", row.get("share"))),
            ));
            continue;
        };
        let at = match margins.iter().position(|m| m.variable == variable) {
            Some(at) => at,
            None if margins.len() >= MAX_MARGINS => {
                return Err(vec![row.at("variable").say(
                    Message::new("weighting_too_many_margins").with("max", MAX_MARGINS),
                )]);
            }
            None => {
                margins.push(Margin {
                    variable: variable.clone(),
                    levels: Vec::new(),
                    shares: Vec::new(),
                });
                margins.len() - 1
            }
        };
        let margin = &mut margins[at];
        if margin.levels.contains(&level) {
            problems.push(
                row.at("level").say(
                    Message::new("level_listed_twice")
                        .with("variable", &variable)
                        .with("level", &level),
                ),
            );
        } else if margin.levels.len() >= MAX_LEVELS {
            problems.push(
                row.at("level").say(
                    Message::new("too_many_levels")
                        .with("variable", &variable)
                        .with("max", MAX_LEVELS),
                ),
            );
        } else {
            margin.levels.push(level);
            margin.shares.push(share);
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    // The sums only of files whose rows all read: a refused row would make them wrong too.
    let rows_read = problems.is_empty();
    for margin in margins.iter_mut().filter(|_| rows_read) {
        let sum: f64 = margin.shares.iter().sum();
        if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
            problems.push(
                Message::new("weighting_shares_sum")
                    .with("variable", &margin.variable)
                    .with("sum", format!("{sum:.4}")),
            );
        } else {
            margin.shares.iter_mut().for_each(|s| *s /= sum);
        }
    }
    if problems.is_empty() {
        Ok(margins)
    } else {
        Err(problems)
    }
}

/// The respondents as read: their ids (the first column), each one's level index in every
/// margin (`codes[margin][respondent]`), and their base weights when the file has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Respondents {
    pub ids: Vec<String>,
    pub codes: Vec<Vec<u32>>,
    pub base_weights: Option<Vec<f64>>,
}

/// Reads the respondents, coding each one's answer on every variable of `margins`. Columns
/// the margins do not name are left alone; a level the margins do not have, a repeated id,
/// or a missing or non-positive base weight is refused at its line.
pub fn read_respondents(text: &str, margins: &[Margin]) -> Result<Respondents, Vec<Message>> {
    let table = Table::read(text)?;
    let line = crate::Location::line(1);
    if table.header.is_empty() {
        return Err(vec![Message::new("file_empty")]);
    }
    if table.rows.is_empty() {
        return Err(vec![Message::new("no_rows")]);
    }
    if table.rows.len() > MAX_RESPONDENTS {
        return Err(vec![
            Message::new("too_many_rows").with("max", MAX_RESPONDENTS),
        ]);
    }
    let id_column = table.header[0].clone();
    let missing: Vec<Message> = margins
        .iter()
        .filter(|m| !table.header[1..].contains(&m.variable))
        .map(|m| line.say(Message::new("column_missing").with("column", &m.variable)))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let has_base = table.header[1..].iter().any(|h| h == "base_weight");
    let lookups: Vec<HashMap<&str, u32>> = margins
        .iter()
        .map(|m| {
            m.levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i as u32))
                .collect()
        })
        .collect();
    let n = table.rows.len();
    let mut ids = Vec::with_capacity(n);
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(n);
    let mut codes: Vec<Vec<u32>> = margins.iter().map(|_| Vec::with_capacity(n)).collect();
    let mut base = Vec::new();
    let mut problems = Vec::new();
    for row in table.rows() {
        let id = row.get(&id_column);
        if id.is_empty() {
            problems.push(row.at(&id_column).say(Message::new("value_missing")));
        } else if let Some(first) = seen.insert(id, row.line) {
            problems.push(
                row.at(&id_column).say(
                    Message::new("id_listed_twice")
                        .with("id", id)
                        .with("first", first),
                ),
            );
        }
        ids.push(id.to_owned());
        for ((margin, lookup), column) in margins.iter().zip(&lookups).zip(&mut codes) {
            let level = row.get(&margin.variable);
            match lookup.get(level) {
                Some(&code) => column.push(code),
                None => {
                    column.push(0);
                    problems.push(
                        row.at(&margin.variable).say(
                            Message::new("level_unknown")
                                .with("value", format!("{level:?}"))
                                .with("variable", &margin.variable)
                                .with("levels", margin.levels.join(", ")),
                        ),
                    );
                }
            }
        }
        if has_base {
            match parse_number(row.get("base_weight")).filter(|w| *w > 0.0) {
                Some(w) => base.push(w),
                None => problems.push(
                    row.at("base_weight")
                        .say(Message::new("weighting_bad_base")),
                ),
            }
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Respondents {
        ids,
        codes,
        base_weights: has_base.then_some(base),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: &str =
        "variable,level,share\nsex,K,0.5\nsex,M,0.5\nAge,16-39,\"0,4\"\nage,40+,0.6\n";

    #[test]
    fn targets_and_respondents_read_coded() {
        let margins = read_targets(TARGETS).unwrap();
        assert_eq!(margins.len(), 2);
        assert_eq!(margins[1].variable, "age");
        assert_eq!(margins[1].shares, [0.4, 0.6]);
        let r = read_respondents("id;Sex;age;note\n1;K;40+;x\n2;M;16-39;\n", &margins).unwrap();
        assert_eq!(r.ids, ["1", "2"]);
        assert_eq!(r.codes, [vec![0, 1], vec![1, 0]]);
        assert!(r.base_weights.is_none());
        // Rounded shares are scaled to sum to 1.
        let rounded =
            read_targets("variable,level,share\nx,a,0.3333\nx,b,0.3333\nx,c,0.3333\n").unwrap();
        assert!((rounded[0].shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bad_files_name_each_place() {
        let say = |e: Vec<Message>| {
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let e = say(read_targets("variable,level,share\nsex,K,0.5\nsex,M,0.6\n").unwrap_err());
        assert!(e.contains("sex") && e.contains("1.1000"), "{e}");
        let e = say(
            read_targets("variable,level,share\nsex,K,half\nsex,M,0.5\nsex,M,0.5\n").unwrap_err(),
        );
        assert!(
            e.contains("line 2, column 3 (share)") && e.contains("line 4, column 2"),
            "{e}"
        );
        assert!(
            !e.contains("sum"),
            "a sum of shares already refused says nothing more: {e}"
        );
        let margins = read_targets(TARGETS).unwrap();
        let e = say(read_respondents("id,sex,age\n1,K,40+\n1,X,40+\n", &margins).unwrap_err());
        assert!(
            e.contains("line 3, column 1 (id)") && e.contains("line 3, column 2 (sex)"),
            "{e}"
        );
        assert!(e.contains("\"X\""), "{e}");
        let e = say(read_respondents("id,sex\n1,K\n", &margins).unwrap_err());
        assert!(e.contains("age"), "{e}");
        let e = say(read_respondents("id,sex,age,base_weight\n1,K,40+,0\n", &margins).unwrap_err());
        assert!(e.contains("base_weight"), "{e}");
    }
}
